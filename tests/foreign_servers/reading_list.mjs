// Exercise 1 (reading-list) in Node's standard library (node:http), the way a learner writes it
// without a framework. Node keeps connections alive, and frames bodies itself unless told.
//
//   node tests/foreign_servers/reading_list.mjs node=8201 node-streamed=0 ...
//
// Variants: `node` as plain as it gets (must score full marks); `node-streamed` writes lists in
// pieces (so Node sends them chunked), gives books UUID strings as ids and a bare `rel=next`
// (must score full marks); `node-length-utf16` sets Content-Length to the string's `.length`,
// which counts UTF-16 units, not bytes (a classic; the grader must say so).
// Prints `VARIANT PORT` for each (port 0 takes a free one), then `ready` once every variant listens.
import { randomUUID } from "node:crypto";
import http from "node:http";

const STATUSES = ["to-read", "reading", "done"];
const PHRASES = http.STATUS_CODES;

class Problem extends Error {
  constructor(status, detail, headers = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

function validated(data, partial) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new Problem(422, "the body must be a JSON object");
  }
  const out = {};
  for (const name of ["title", "author"]) {
    if (name in data || !partial) {
      const length = typeof data[name] === "string" ? [...data[name]].length : 0;
      if (typeof data[name] !== "string" || length < 1 || length > 500) {
        throw new Problem(422, `${name} must be a string of 1 to 500 characters`);
      }
      out[name] = data[name];
    }
  }
  if ("pages" in data || !partial) {
    const pages = data.pages ?? null;
    if (pages !== null && !(Number.isInteger(pages) && pages >= 1 && pages <= 100000)) {
      throw new Problem(422, "pages must be an integer from 1 to 100,000, or null");
    }
    out.pages = pages;
  }
  if ("status" in data || !partial) {
    const status = "status" in data ? data.status : "to-read";
    if (!STATUSES.includes(status)) throw new Problem(422, `status must be one of ${STATUSES}`);
    out.status = status;
  }
  if ("notes" in data || !partial) {
    const notes = data.notes ?? null;
    if (notes !== null && (typeof notes !== "string" || [...notes].length > 5000)) {
      throw new Problem(422, "notes must be a string of at most 5,000 characters, or null");
    }
    out.notes = notes;
  }
  return out;
}

function app(variant) {
  const books = new Map(); // id -> book, oldest first
  const order = new Map(); // id -> creation sequence, the cursor's key
  let sequence = 0;

  function find(id) {
    if (!books.has(id)) throw new Problem(404, `there is no book with id ${id}`);
    return books.get(id);
  }

  function listing(url, host) {
    const limitText = url.searchParams.get("limit") ?? "10";
    const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= 100)) throw new Problem(422, "limit must be 1 to 100");
    const status = url.searchParams.get("status");
    if (status !== null && !STATUSES.includes(status)) throw new Problem(422, "unknown status");
    const cursor = url.searchParams.get("cursor") ?? "0";
    if (!/^\d+$/.test(cursor)) throw new Problem(400, "this cursor was not issued here");
    const later = [...books.keys()].filter(
      (id) => order.get(id) > Number(cursor) && (status === null || books.get(id).status === status));
    const page = later.slice(0, limit);
    const headers = {};
    if (later.length > limit) {
      const next = new URLSearchParams({ ...(status ? { status } : {}), limit: String(limit),
        cursor: String(order.get(page[page.length - 1])) });
      const rel = variant === "node-streamed" ? "rel=next" : 'rel="next"';
      headers.Link = `<http://${host}/books?${next}>; ${rel}`;
    }
    return [200, headers, { items: page.map((id) => books.get(id)) }];
  }

  function parsed(req, body) {
    const media = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (media !== "application/json" && !media.endsWith("+json")) {
      throw new Problem(415, "send the body as JSON, with Content-Type: application/json");
    }
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      throw new Problem(400, "the body is not valid JSON");
    }
  }

  return function route(req, url, body) {
    const host = req.headers.host;
    const item = url.pathname.match(/^\/books\/([^/]+)$/);
    if (url.pathname === "/books") {
      if (req.method === "GET" || req.method === "HEAD") return listing(url, host);
      if (req.method === "POST") {
        const fields = validated(parsed(req, body), false);
        sequence += 1;
        const id = variant === "node-streamed" ? randomUUID() : String(sequence);
        const book = { id: variant === "node-streamed" ? id : sequence, ...fields };
        books.set(id, book);
        order.set(id, sequence);
        return [201, { Location: `/books/${id}` }, book];
      }
      throw new Problem(405, `${req.method} is not supported here`, { Allow: "GET, HEAD, POST" });
    }
    if (item) {
      const id = decodeURIComponent(item[1]);
      const allow = "GET, HEAD, PUT, PATCH, DELETE";
      if (!allow.split(", ").includes(req.method)) {
        throw new Problem(405, `${req.method} is not supported here`, { Allow: allow });
      }
      const book = find(id);
      if (req.method === "GET" || req.method === "HEAD") return [200, {}, book];
      if (req.method === "PUT") {
        books.set(id, { id: book.id, ...validated(parsed(req, body), false) });
        return [200, {}, books.get(id)];
      }
      if (req.method === "PATCH") {
        Object.assign(book, validated(parsed(req, body), true));
        return [200, {}, book];
      }
      books.delete(id);
      return [204, {}, null];
    }
    throw new Problem(404, `there is nothing at ${url.pathname}`);
  };
}

function serve(variant, port) {
  const route = app(variant);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      let status, headers, document, type = "application/json";
      try {
        [status, headers, document] = route(req, new URL(req.url, "http://x"), Buffer.concat(chunks));
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        [status, headers, type] = [error.status, error.headers, "application/problem+json"];
        document = { type: "about:blank", title: PHRASES[status], status, detail: error.message };
      }
      if (status === 204) {
        res.writeHead(204, headers);
        res.end();
        return;
      }
      const text = JSON.stringify(document);
      res.setHeader("Content-Type", type);
      if (variant === "node-length-utf16") res.setHeader("Content-Length", text.length);
      res.writeHead(status, headers);
      if (variant === "node-streamed" && Array.isArray(document.items)) {
        // Pieces of the encoded bytes: a piece may end inside a character, as on a real network.
        const bytes = Buffer.from(text, "utf8");
        for (let i = 0; i < bytes.length; i += 50) res.write(bytes.subarray(i, i + 50));
        res.end();
      } else {
        res.end(text);
      }
    });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

const pairs = process.argv.slice(2).map((arg) => arg.split("="));
const servers = await Promise.all(pairs.map(([variant, port]) => serve(variant, Number(port))));
pairs.forEach(([variant], i) => console.log(variant, servers[i].address().port));
console.log("ready");
