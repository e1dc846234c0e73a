// Reading list: your starting point for exercise 1 (REST and HTTP semantics), in JavaScript.
//
// Run it:    apilab serve reading-list        (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check reading-list
//
// Node.js's standard library only: no npm install needed. It runs, and it lists an empty reading
// list. Everything else is yours to build: README.md has the exact contract, and `apilab check`
// tells you, request by request, what is still missing. Work through the TODOs roughly in order;
// each one makes a few more checks pass.
"use strict";

const http = require("node:http");

// apilab serve gives your server its port in PORT; 8001 is where apilab check looks by default.
const PORT = Number(process.env.PORT || 8001);

// id -> book, in memory: the list is empty again whenever the server restarts.
// A Map keeps insertion order, so iterating it lists the oldest book first.
const BOOKS = new Map();

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// Reads the whole request body as text (UTF-8).
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);

  if (url.pathname === "/books" && req.method === "GET") {
    // TODO pagination: accept ?limit= (1-100, default 10; anything else is a 422, not capped)
    //      and ?cursor=, return at most `limit` books after the cursor, and add
    //      `Link: <URL of the next page>; rel="next"` when more remain. Also accept ?status= to
    //      list only the books with that status, and keep limit and status in the next link.
    //      Answer HEAD too: the same status and headers as GET, and no body.
    return sendJson(res, 200, { items: [...BOOKS.values()] });
  }

  // TODO create: POST /books with a JSON body {title, author, pages?, status?, notes?}.
  //      Parse it with JSON.parse (await readBody(req)) and check every field yourself: title
  //      and author non-empty strings; pages null or an integer of at least 1 (Number.isInteger;
  //      "300" as a string is refused); status one of "to-read", "reading", "done"; notes null
  //      or a string. Give it the next id, store it, and answer 201 with a Location header
  //      (/books/{id}) and the stored book (all six fields) as JSON.

  // TODO read: GET /books/{id}, 200 with the book, or 404 when there is no such book.
  //      Match the path with a regular expression such as /^\/books\/([^/]+)$/.
  //      Answer HEAD on the same URL.

  // TODO replace: PUT /books/{id} stores exactly the book it is sent (fields left out take their
  //      defaults) and answers 200 with it; 404 for an unknown id.

  // TODO update: PATCH /books/{id} changes only the fields it is sent; 200 with the whole book.
  //      null clears pages or notes; title, author or status set to null is a 422.

  // TODO delete: DELETE /books/{id} answers 204 with no body (and no Content-Length); 404 when
  //      the book is not there.

  // TODO errors: every error is application/problem+json with type, title, status and detail
  //      (RFC 9457), not the plain JSON below:
  //      - malformed JSON, an empty body included -> 400, with no stack trace in the body;
  //      - missing or invalid fields -> 422;
  //      - a POST, PUT or PATCH body that is not Content-Type: application/json -> 415
  //        (any letter case, parameters such as charset allowed: Application/JSON is JSON);
  //      - a method a URL does not support -> 405 with an Allow header listing ALL the methods
  //        it supports (GET, HEAD, POST on /books; GET, HEAD, PUT, PATCH, DELETE on a book).
  return sendJson(res, 404, { error: "not found" });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
    else res.end();
  });
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`Reading list listening on http://127.0.0.1:${PORT}`);
});
