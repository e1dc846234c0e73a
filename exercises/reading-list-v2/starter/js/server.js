// Reading list, version 2: your starting point, in JavaScript. Lesson 1's reading list, complete,
// under /v1: it already passes every v1 check. README.md is the whole contract.
//
// Run it:    apilab serve reading-list-v2    (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check reading-list-v2
//
// Node.js's standard library only: no npm install needed. What is left, in an order that keeps
// v1 working at every step:
//
// TODO 1. Store each book once, in v2's terms (a list of `authors`, `page_count`, `added_at`),
//         and make the v1 routes translate: v1 shows the authors joined with ", " and `pages`;
//         a v1 write that sends back the `author` it was shown keeps every author.
// TODO 2. Add the v2 routes under /v2 (the same methods as v1), with v2's book and its rules.
// TODO 3. Announce v1's deprecation on every response under /v1, errors included: Deprecation
//         (@seconds), Sunset (an IMF-fixdate) and Link (deprecation, sunset, successor-version).
//         Doing it once, where every response is written, covers the errors too.
// TODO 4. Serve each version's OpenAPI document at /v1/openapi.json and /v2/openapi.json, each
//         listing only its own version's operations.
"use strict";

const http = require("node:http");

// apilab serve gives your server its port in PORT; 8001 is where apilab check looks by default.
const PORT = Number(process.env.PORT || 8001);
const STATUSES = ["to-read", "reading", "done"];
const PHRASES = { 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
  415: "Unsupported Media Type", 422: "Unprocessable Content", 500: "Internal Server Error" };

// id -> book, in memory: the list is empty again whenever the server restarts.
// A Map keeps insertion order, so iterating it lists the oldest book first.
const BOOKS = new Map();
let lastId = 0;

// --- answers ---------------------------------------------------------------------------------

function send(req, res, status, body, headers = {}, type = "application/json") {
  if (status === 204) {
    res.writeHead(204, headers); // no body, and no Content-Length (RFC 9110 section 8.6)
    return res.end();
  }
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, { ...headers, "Content-Type": type, "Content-Length": payload.length });
  res.end(req.method === "HEAD" ? undefined : payload); // HEAD: GET's headers, no body
}

// Every error is an RFC 9457 problem: type, title, status (the HTTP status) and detail.
function problem(req, res, status, detail, headers = {}, extra = {}) {
  send(req, res, status, { type: "about:blank", title: PHRASES[status], status, detail, ...extra },
    headers, "application/problem+json");
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

// The JSON body of a POST, PUT or PATCH; undefined once a 415 or 400 has been answered.
async function jsonBody(req, res) {
  const type = (req.headers["content-type"] || "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && !(type.startsWith("application/") && type.endsWith("+json"))) {
    problem(req, res, 415, "send the body as JSON, with Content-Type: application/json");
    return undefined;
  }
  try {
    return JSON.parse(await readBody(req));
  } catch {
    problem(req, res, 400, "the body is not valid JSON; check its quotes, commas and brackets");
    return undefined;
  }
}

// --- v1's book -------------------------------------------------------------------------------

const RULES = {
  title: (v) => typeof v === "string" && v.length > 0,
  author: (v) => typeof v === "string" && v.length > 0,
  pages: (v) => v === null || (Number.isInteger(v) && v >= 1), // "300" is a string: refused
  status: (v) => STATUSES.includes(v),
  notes: (v) => v === null || typeof v === "string",
};
const REQUIRED = ["title", "author"];
const NOT_NULL = ["title", "author", "status"];

// The names of the fields that break the rules; `whole` for POST and PUT (required fields).
function invalidFields(body, whole) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return ["body"];
  const wrong = [];
  for (const [field, valid] of Object.entries(RULES)) {
    if (!(field in body)) {
      if (whole && REQUIRED.includes(field)) wrong.push(field);
    } else if ((body[field] === null && NOT_NULL.includes(field)) || !valid(body[field])) {
      wrong.push(field);
    }
  }
  return wrong;
}

// A whole book from a POST or PUT body: fields left out take their defaults.
function wholeBook(id, body) {
  return { id, title: body.title, author: body.author, pages: body.pages ?? null,
    status: body.status ?? "to-read", notes: body.notes ?? null };
}

// --- routes ----------------------------------------------------------------------------------

function list(req, res, url) {
  const query = url.searchParams;
  const limitText = query.get("limit") ?? "10";
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= 100)) {
    return problem(req, res, 422, "limit must be a whole number from 1 to 100");
  }
  const status = query.get("status");
  if (status !== null && !STATUSES.includes(status)) {
    return problem(req, res, 422, `status must be one of ${STATUSES.join(", ")}`);
  }
  const cursor = query.get("cursor");
  if (cursor !== null && !/^\d+$/.test(cursor)) {
    return problem(req, res, 400, "this cursor was not issued by this server; follow Link instead");
  }
  const after = Number(cursor ?? 0);
  // One more than the page holds: if it exists there is a next page, and the last page never
  // links to an empty one.
  const matching = [...BOOKS.values()].filter((b) => b.id > after && (status === null || b.status === status));
  const page = matching.slice(0, limit);
  const headers = {};
  if (matching.length > limit) {
    const next = new URLSearchParams(query); // keeps limit and status
    next.set("cursor", String(page[page.length - 1].id));
    headers.Link = `<${url.origin}${url.pathname}?${next}>; rel="next"`;
  }
  send(req, res, 200, { items: page }, headers);
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);
  const method = req.method;

  if (url.pathname === "/v1/books") {
    if (method === "GET" || method === "HEAD") return list(req, res, url);
    if (method !== "POST") {
      return problem(req, res, 405, `${method} is not supported here`, { Allow: "GET, HEAD, POST" });
    }
    const body = await jsonBody(req, res);
    if (body === undefined) return undefined;
    const wrong = invalidFields(body, true);
    if (wrong.length) return problem(req, res, 422, `invalid: ${wrong.join(", ")}`);
    const book = wholeBook(++lastId, body);
    BOOKS.set(book.id, book);
    return send(req, res, 201, book, { Location: `/v1/books/${book.id}` });
  }

  const item = url.pathname.match(/^\/v1\/books\/([^/]+)$/);
  if (!item) return problem(req, res, 404, `there is nothing at ${url.pathname}`);
  const allowed = ["GET", "HEAD", "PUT", "PATCH", "DELETE"];
  if (!allowed.includes(method)) {
    return problem(req, res, 405, `${method} is not supported here`, { Allow: allowed.join(", ") });
  }
  const id = /^\d+$/.test(item[1]) ? Number(item[1]) : NaN;
  const book = BOOKS.get(id);
  if (!book) return problem(req, res, 404, `there is no book with id ${item[1]}`);
  if (method === "GET" || method === "HEAD") return send(req, res, 200, book);
  if (method === "DELETE") {
    BOOKS.delete(id);
    return send(req, res, 204);
  }
  const body = await jsonBody(req, res);
  if (body === undefined) return undefined;
  const wrong = invalidFields(body, method === "PUT");
  if (wrong.length) return problem(req, res, 422, `invalid: ${wrong.join(", ")}`);
  const changes = Object.fromEntries(Object.entries(body).filter(([field]) => field in RULES));
  const stored = method === "PUT" ? wholeBook(id, body) : { ...book, ...changes, id };
  BOOKS.set(id, stored);
  return send(req, res, 200, stored);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error); // the details go to your log, never to the client
    if (!res.headersSent) problem(req, res, 500, "the server hit an unexpected error");
    else res.end();
  });
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`Reading list listening on http://127.0.0.1:${PORT}`);
});
