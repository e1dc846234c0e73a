"""Lesson 1's bookshop: `/books` and `/authors`, to practise methods, status codes, problem
details and pagination on."""

from __future__ import annotations

from sandbox_api.feature import Feature
from sandbox_api.features.bookshop import authors, books, store

FEATURE = Feature(
    name="bookshop",
    summary="Lesson 1: books and authors, to practise methods, status codes, errors and "
            "pagination.",
    routers=[books.router, authors.router],
    tags=[
        {"name": "books", "description": "The catalogue: create, read, replace, change and "
                                         "delete books; filter, sort and page through them."},
        {"name": "authors", "description": "Who wrote the books. An author with books cannot "
                                           "be deleted (409 Conflict)."},
    ],
    schema=store.SCHEMA,
    seed=store.seed,
    links={"books": "/books", "authors": "/authors"},
)
