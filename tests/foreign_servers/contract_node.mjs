// Exercise 1 (reading-list) in Node's standard library, making the choices the contract leaves
// open differently from the reference: 400 for invalid input, string ids, absolute Location and
// next links, problems with extra members and a charset, chunked bodies, keep-alive, OPTIONS
// answered and listed in Allow, opaque base64 cursors, lengths counted in code points, and a
// member the contract does not name in every book ("kind": "book"), as its schema allows.
//
//   node contract_node.mjs [--mistake NAME] PORT
//
// prints "ready PORT" once it listens (PORT 0 takes a free one). `--mistake` plants one
// realistic bug (see MISTAKES); the contract probes must catch each.
import http from "node:http";
import { randomBytes } from "node:crypto";

const MISTAKES = new Set([
  "utf16-length",      // lengths counted with .length: an emoji is two
  "number-coercion",   // pages read with Number(): "300" and true become numbers
  "trim-text",         // titles and authors stored trimmed
  "patch-unchecked",   // PATCH stores status without checking it
  "cursor-crash",      // a cursor is decoded without a guard: garbage throws, a 500
  "html-404",          // unknown paths answered the framework way: an HTML page
  "stale-list",        // the list keeps the copy made at creation, so updates never show
  "plain-405",         // a 405 answered as text/plain
  "partial-patch",     // PATCH applies the valid fields before refusing the invalid one
]);
const args = process.argv.slice(2);
const mistake = args[0] === "--mistake" ? args[1] : null;
if (mistake && !MISTAKES.has(mistake)) throw new Error(`unknown mistake ${mistake}`);
const port = Number(args[args.length - 1] ?? 0);

const STATUSES = ["to-read", "reading", "done"];
const FIELDS = { title: [1, 500], author: [1, 500] };
const books = new Map(); // id -> book, in creation order
const listed = new Map(); // id -> the list's copy (only "stale-list" lets it drift)
let sequence = 0;
const order = new Map(); // id -> creation sequence: the cursor's key

class Problem extends Error {
  constructor(status, detail, extra = {}, headers = {}) {
    super(detail);
    Object.assign(this, { status, detail, extra, headers });
  }
}

const length = (text) => (mistake === "utf16-length" ? text.length : [...text].length);

function checkText(name, value, [least, most], errors) {
  if (typeof value !== "string") errors.push({ field: name, message: "must be a string" });
  else {
    const text = mistake === "trim-text" ? value.trim() : value;
    if (length(text) < least || length(text) > most)
      errors.push({ field: name, message: `must be ${least} to ${most} characters` });
  }
}

function checkPages(value, errors) {
  if (value === null) return;
  const pages = mistake === "number-coercion" ? Number(value) : value;
  if (!Number.isInteger(pages) || pages < 1 || pages > 100000)
    errors.push({ field: "pages", message: "must be a whole number from 1 to 100000, or null" });
}

function validated(body, partial, errors) {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new Problem(400, "the body must be a JSON object");
  const book = {};
  for (const [name, bounds] of Object.entries(FIELDS)) {
    if (name in body) {
      checkText(name, body[name], bounds, errors);
      book[name] = mistake === "trim-text" && typeof body[name] === "string" ? body[name].trim() : body[name];
    } else if (!partial) errors.push({ field: name, message: "is required" });
  }
  if ("pages" in body) {
    checkPages(body.pages, errors);
    book.pages = body.pages === null ? null : mistake === "number-coercion" ? Number(body.pages) : body.pages;
  } else if (!partial) book.pages = null;
  if ("status" in body) {
    if (!(partial && mistake === "patch-unchecked") && !STATUSES.includes(body.status))
      errors.push({ field: "status", message: `must be one of ${STATUSES.join(", ")}` });
    book.status = body.status;
  } else if (!partial) book.status = "to-read";
  if ("notes" in body) {
    if (body.notes !== null && (typeof body.notes !== "string" || length(body.notes) > 5000))
      errors.push({ field: "notes", message: "must be a string of at most 5000 characters, or null" });
    book.notes = body.notes;
  } else if (!partial) book.notes = null;
  return book;
}

function invalid(errors) {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return new Problem(400, detail, { errors });
}

async function readJson(request) {
  const type = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && !type.endsWith("+json"))
    throw new Problem(415, "send the body as JSON, with Content-Type: application/json");
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new Problem(400, "the body is not valid JSON");
  }
}

function base(request) {
  return `http://${request.headers.host}`;
}

function list(request, url) {
  const query = url.searchParams;
  let limit = 10;
  if (query.has("limit")) {
    const text = query.get("limit");
    if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100)
      throw new Problem(400, "limit is a whole number from 1 to 100", { errors: [{ field: "limit" }] });
    limit = Number(text);
  }
  const status = query.get("status");
  if (query.has("status") && !STATUSES.includes(status))
    throw new Problem(400, `status is one of ${STATUSES.join(", ")}`);
  let after = 0;
  if (query.has("cursor")) {
    if (mistake === "cursor-crash") after = JSON.parse(Buffer.from(query.get("cursor"), "base64url").toString()).after;
    else {
      try {
        after = JSON.parse(Buffer.from(query.get("cursor"), "base64url").toString()).after;
      } catch {
        after = undefined;
      }
      if (!Number.isInteger(after)) throw new Problem(400, "this cursor was not issued here; follow Link");
    }
  }
  const source = mistake === "stale-list" ? listed : books;
  const matching = [...source.entries()].filter(([id, book]) => order.get(id) > after && books.has(id)
    && (status === null || book.status === status)).map(([, book]) => book);
  const page = matching.slice(0, limit);
  const headers = {};
  if (matching.length > limit) {
    const next = new URL(url, base(request));
    next.searchParams.set("cursor", Buffer.from(JSON.stringify({ after: order.get(page.at(-1).id) })).toString("base64url"));
    headers.Link = `<${next}>; rel="next"`;
  }
  return [200, headers, { items: page }];
}

async function route(request, url) {
  const path = url.pathname;
  const item = path.match(/^\/books\/([^/]+)$/);
  if (path === "/books") {
    if (request.method === "GET" || request.method === "HEAD") return list(request, url);
    if (request.method === "POST") {
      const errors = [];
      const book = validated(await readJson(request), false, errors);
      if (errors.length) throw invalid(errors);
      const id = `b-${randomBytes(6).toString("hex")}`;
      Object.assign(book, { id, kind: "book" });
      books.set(id, book);
      listed.set(id, { ...book });
      order.set(id, ++sequence);
      return [201, { Location: `${base(request)}/books/${id}` }, book];
    }
    if (request.method === "OPTIONS") return [204, { Allow: "GET, HEAD, POST, OPTIONS" }, null];
    throw notAllowed("GET, HEAD, POST, OPTIONS");
  }
  if (item) {
    let id;
    try {
      id = decodeURIComponent(item[1]);
    } catch {
      throw new Problem(404, `there is nothing at ${path}`);
    }
    const book = books.get(id);
    if (request.method === "OPTIONS") return [204, { Allow: "GET, HEAD, PUT, PATCH, DELETE, OPTIONS" }, null];
    if (!["GET", "HEAD", "PUT", "PATCH", "DELETE"].includes(request.method))
      throw notAllowed("GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
    if (!book) throw new Problem(404, `there is no book with id ${id}`);
    if (request.method === "GET" || request.method === "HEAD") return [200, {}, book];
    if (request.method === "DELETE") {
      books.delete(id);
      return [204, {}, null];
    }
    const errors = [];
    const changes = validated(await readJson(request), request.method === "PATCH", errors);
    if (request.method === "PATCH" && mistake === "partial-patch")
      for (const [name, value] of Object.entries(changes))
        if (!errors.some((e) => e.field === name)) book[name] = value;
    if (request.method === "PATCH") for (const name of ["title", "author", "status"])
      if (name in changes && changes[name] === null && !(name === "status" && mistake === "patch-unchecked"))
        errors.push({ field: name, message: "cannot be null" });
    if (errors.length) throw invalid(errors);
    const stored = request.method === "PUT" ? { id, ...changes, kind: "book" } : Object.assign(book, changes);
    books.set(id, stored);
    return [200, {}, stored];
  }
  if (mistake === "html-404") return [404, { "Content-Type": "text/html" }, `<!DOCTYPE html><pre>Cannot ${request.method} ${path}</pre>`];
  throw new Problem(404, `there is nothing at ${path}`);
}

function notAllowed(allow) {
  return new Problem(405, "this method is not supported here; Allow lists those that are", {}, { Allow: allow });
}

function send(request, response, status, headers, document) {
  if (typeof document === "string") {
    response.writeHead(status, headers);
    return response.end(document);
  }
  response.writeHead(status, { "Content-Type": headers["Content-Type"] ?? "application/json; charset=utf-8", ...headers });
  if (document !== null && request.method !== "HEAD") response.write(JSON.stringify(document)); // chunked
  response.end();
}

const server = http.createServer(async (request, response) => {
  let url = new URL("/", base(request));
  try {
    url = new URL(request.url, base(request));
    const [status, headers, document] = await route(request, url);
    send(request, response, status, headers, document);
  } catch (error) {
    if (!(error instanceof Problem)) {
      response.writeHead(500, { "Content-Type": "text/plain" });
      return response.end("Internal Server Error");
    }
    if (error.status === 405 && mistake === "plain-405") {
      response.writeHead(405, { "Content-Type": "text/plain", ...error.headers });
      return response.end("Method Not Allowed");
    }
    const body = { type: "about:blank", title: http.STATUS_CODES[error.status], status: error.status,
                   detail: error.message, instance: url.pathname, ...error.extra };
    send(request, response, error.status,
         { "Content-Type": "application/problem+json; charset=utf-8", ...error.headers }, body);
  }
});
server.listen(port, "127.0.0.1", () => console.log(`ready ${server.address().port}`));
