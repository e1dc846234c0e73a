// Team wiki: your starting point for the caching exercise (validators and preconditions), in
// JavaScript.
//
// Run it:    apilab serve team-wiki        (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check team-wiki
//
// Node.js's standard library only: no npm install needed. It already stores pages and serves
// them, but it trusts every request: no ETag, no Last-Modified, no 304, and a PUT that blindly
// overwrites whatever another editor just saved. README.md has the exact contract; work through
// the TODOs roughly in order, running `apilab check` as you go.
"use strict";

const http = require("node:http");

// apilab serve gives your server its port in PORT; 8001 is where apilab check looks by default.
const PORT = Number(process.env.PORT || 8001);

// slug -> { slug, title, body, revision }, in memory.
const PAGES = new Map();

// TODO validators: give every page a strong ETag that changes exactly when the page's JSON
//      changes (require("node:crypto").createHash("sha256") over the bytes you send works
//      well), and a Last-Modified date (whole seconds: new Date(ms).toUTCString()). Send both,
//      with Cache-Control: no-cache, on GET and HEAD, and send the new ones with the answer to
//      every successful PUT and PATCH.

// TODO conditional reads: If-None-Match (a list of tags, or *; weak comparison) answers 304
//      with ETag and Cache-Control and no body. Only without If-None-Match, If-Modified-Since
//      answers 304 when the page has not changed since that date. Do the same for GET /pages,
//      whose ETag changes whenever the list does.

// TODO conditional writes: PUT, PATCH and DELETE of an existing page need If-Match (428 without
//      it), compared strongly with the current ETag (412 when it does not match). Creating a page
//      needs If-None-Match: * (412 when the page exists). Every 412 and 428 changes nothing.

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// Every error is an RFC 9457 problem, as in exercise 1.
function problem(res, status, detail) {
  const text = JSON.stringify({ type: "about:blank", title: http.STATUS_CODES[status], status, detail });
  res.writeHead(status, {
    "Content-Type": "application/problem+json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

// Reads the whole request body and parses it as JSON; undefined (after answering) when it is not.
async function readJson(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    problem(res, 400, "the body is not valid JSON");
    return undefined;
  }
}

async function handlePage(req, res, slug) {
  const page = PAGES.get(slug);
  if (req.method === "GET" || req.method === "HEAD") {
    if (!page) return problem(res, 404, `there is no page ${slug}`);
    return sendJson(res, 200, page); // Node leaves the body out of a HEAD response by itself
  }
  if (req.method === "PUT") {
    const body = await readJson(req, res);
    if (body === undefined) return;
    if (typeof body.title !== "string" || !body.title || typeof body.body !== "string") {
      return problem(res, 422, "title must be a non-empty string and body a string");
    }
    if (!page) {
      const created = { slug, title: body.title, body: body.body, revision: 1 };
      PAGES.set(slug, created);
      return sendJson(res, 201, created, { Location: `/pages/${slug}` });
    }
    Object.assign(page, { title: body.title, body: body.body, revision: page.revision + 1 });
    return sendJson(res, 200, page);
  }
  if (req.method === "PATCH") {
    if (!page) return problem(res, 404, `there is no page ${slug}`);
    const body = await readJson(req, res);
    if (body === undefined) return;
    if ("title" in body) page.title = body.title;
    if ("body" in body) page.body = body.body;
    page.revision += 1;
    return sendJson(res, 200, page);
  }
  if (req.method === "DELETE") {
    if (!page) return problem(res, 404, `there is no page ${slug}`);
    PAGES.delete(slug);
    res.writeHead(204);
    return res.end();
  }
  res.setHeader("Allow", "GET, HEAD, PUT, PATCH, DELETE");
  return problem(res, 405, `${req.method} is not supported here`);
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);
  if (url.pathname === "/pages") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return problem(res, 405, `${req.method} is not supported on /pages`);
    }
    const items = [...PAGES.values()]
      .map(({ slug, title, revision }) => ({ slug, title, revision }))
      .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
    return sendJson(res, 200, { items });
  }
  const match = /^\/pages\/([a-z0-9-]+)$/.exec(url.pathname);
  if (match) return handlePage(req, res, match[1]);
  return problem(res, 404, `nothing at ${url.pathname}`);
}

http
  .createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error(error);
      if (!res.headersSent) problem(res, 500, "the server failed; its log has the details");
    });
  })
  .listen(PORT, "127.0.0.1", () => console.log(`team wiki on http://127.0.0.1:${PORT}`));
