// Private notes: your starting point for the resource-server exercise (lesson 2), in JavaScript.
//
// Run it:    apilab serve private-notes        (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check private-notes        (the sandbox must run too: it issues the tokens)
//
// Node.js's standard library only: no npm install needed. `crypto.verify` checks RS256
// signatures and `crypto.createPublicKey({ key: jwk, format: "jwk" })` reads a key from a JWKS.
// It runs, and it serves notes to anyone: every request is the same anonymous user with every
// permission. README.md has the exact contract; work through the TODOs roughly in order.
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");

const PORT = Number(process.env.PORT || 8001);
// The issuer your tokens must come from, exactly; its metadata says where its keys are.
const ISSUER = (process.env.SANDBOX_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const AUDIENCE = "urn:apilab:notes";

// id -> note, in memory: the notes are gone whenever the server restarts.
const NOTES = new Map();

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

// Who is calling, and what they may do: { sub, scopes }.
async function caller(req, url) {
  // TODO 1, no token: read `Authorization: Bearer <token>` (the scheme is case-insensitive).
  //      None? Answer 401 with WWW-Authenticate: Bearer (no error code).
  // TODO 2, the keys: fetch ISSUER + "/.well-known/oauth-authorization-server", then its
  //      jwks_uri, and keep each key by its kid. When a token's kid is not known, fetch the keys
  //      again (at most once a second) before giving up.
  // TODO 3, validate: the token is header.payload.signature in base64url. Accept alg RS256
  //      only, typ at+jwt (any case); verify the signature over "header.payload" with the key of
  //      its kid; then iss === ISSUER, aud === AUDIENCE or an array holding it (never a
  //      substring match), exp and nbf (leeway at most 60 s), sub; typ, aud and exp are
  //      required. Anything wrong (or missing): 401 with WWW-Authenticate: Bearer
  //      error="invalid_token".
  // TODO 4: a request with ?access_token= is refused (400 or 401), even with an Authorization
  //      header: a token in the URL is never used.
  return { sub: "anonymous", scopes: new Set(["notes:read", "notes:write"]) };
}

// TODO 5, scopes: GET needs notes:read, POST, PUT and DELETE need notes:write; without it,
//      answer 403 with WWW-Authenticate: Bearer error="insufficient_scope", scope="<needed>".

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);
  const who = await caller(req, url);
  const item = url.pathname.match(/^\/notes\/([^/]+)$/);

  if (url.pathname === "/notes" && req.method === "GET") {
    // TODO 6: only the caller's own notes.
    return sendJson(res, 200, { items: [...NOTES.values()] });
  }
  if (url.pathname === "/notes" && req.method === "POST") {
    const body = JSON.parse(await readBody(req)); // TODO: 400 for malformed JSON, 422 without a title
    const id = String(NOTES.size + 1);
    const note = { id, title: body.title, body: body.body || "", owner: who.sub };
    NOTES.set(id, note);
    return sendJson(res, 201, note, { Location: `/notes/${id}` });
  }
  if (item) {
    // TODO 7, ownership: someone else's note is a 404 too, exactly like a missing one.
    const note = NOTES.get(item[1]);
    if (!note) return sendJson(res, 404, { error: "not found" });
    if (req.method === "GET") return sendJson(res, 200, note);
    if (req.method === "PUT") {
      const body = JSON.parse(await readBody(req));
      Object.assign(note, { title: body.title, body: body.body || "" });
      return sendJson(res, 200, note);
    }
    if (req.method === "DELETE") {
      NOTES.delete(item[1]);
      res.writeHead(204);
      return res.end();
    }
  }
  // TODO 8, errors: every 4xx as application/problem+json with type, title, status and detail,
  //      keeping the WWW-Authenticate header of a 401 or 403.
  return sendJson(res, 404, { error: "not found" });
}

http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    sendJson(res, 500, { error: "internal error" });
  });
}).listen(PORT, "127.0.0.1", () => console.log(`private notes on http://127.0.0.1:${PORT}`));
