"""Deterministic bookshop data: the same seed always gives the same authors and books."""

from __future__ import annotations

import random
from dataclasses import dataclass

AUTHOR_COUNT = 12
BOOK_COUNT = 40

GENRES = ("fiction", "mystery", "science-fiction", "fantasy", "history", "poetry", "science")

_FIRST_NAMES = (
    "Ada", "Bashir", "Chiara", "Dmitri", "Efua", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kalani", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamar",
)  # fmt: skip
_LAST_NAMES = (
    "Abara", "Berger", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gupta", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
)  # fmt: skip
_COUNTRIES = ("BR", "DE", "FR", "GH", "IN", "IT", "JP", "NG", "NO", "PL", "SE", "US")
_ADJECTIVES = (
    "Silent", "Crimson", "Hidden", "Last", "Paper", "Distant", "Broken", "Golden", "Quiet",
    "Northern", "Hollow", "Burning", "Glass", "Winter", "Restless", "Little",
)  # fmt: skip
_NOUNS = (
    "Harbour", "Orchard", "Cartographer", "Lighthouse", "Archive", "Garden", "Tide", "Compass",
    "Library", "River", "Clockmaker", "Observatory", "Kingdom", "Letters", "Machine", "Bridge",
)  # fmt: skip
_TAGS = ("classic", "award-winner", "debut", "series", "translated", "illustrated", "short")


@dataclass(frozen=True)
class SeedAuthor:
    name: str
    country: str
    born: int


@dataclass(frozen=True)
class SeedBook:
    title: str
    author_index: int  # position in the author list; ids are assigned by the database
    year: int
    isbn: str
    price: float
    genre: str
    tags: tuple[str, ...]


def isbn13(prefix_and_body: str) -> str:
    """Append the ISBN-13 check digit to twelve digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(prefix_and_body))
    return prefix_and_body + str((10 - total % 10) % 10)


def generate(seed: int) -> tuple[list[SeedAuthor], list[SeedBook]]:
    """Return AUTHOR_COUNT authors and BOOK_COUNT books, fixed by `seed`."""
    rng = random.Random(seed)
    first = rng.sample(_FIRST_NAMES, AUTHOR_COUNT)
    last = rng.sample(_LAST_NAMES, AUTHOR_COUNT)
    authors = [
        SeedAuthor(name=f"{f} {s}", country=rng.choice(_COUNTRIES), born=rng.randint(1920, 1995))
        for f, s in zip(first, last, strict=True)
    ]
    titles = [f"The {a} {n}" for a in _ADJECTIVES for n in _NOUNS]
    isbn_bodies = rng.sample(range(10**8), BOOK_COUNT)
    books = []
    for i, title in enumerate(rng.sample(titles, BOOK_COUNT)):
        # every author gets at least three books, the rest are spread at random
        author_index = i % AUTHOR_COUNT if i < AUTHOR_COUNT * 3 else rng.randrange(AUTHOR_COUNT)
        born = authors[author_index].born
        books.append(
            SeedBook(
                title=title,
                author_index=author_index,
                year=rng.randint(born + 22, min(born + 70, 2025)),
                isbn=isbn13(f"9780{isbn_bodies[i]:08d}"),
                price=round(rng.uniform(6, 45), 2),
                genre=rng.choice(GENRES),
                tags=tuple(sorted(rng.sample(_TAGS, rng.randint(0, 2)))),
            )
        )
    return authors, books
