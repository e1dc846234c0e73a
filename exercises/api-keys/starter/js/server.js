// API keys: your starting point for the API-keys exercise (lesson 2), in JavaScript.
//
// Run it:    apilab serve api-keys        (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check api-keys
//
// Node.js's standard library only: no npm install needed. It runs: the owner can create, list
// and revoke keys, and a program can call /whoami with one. But it is careless in every way the
// README warns about. Work through the TODOs roughly in order.
"use strict";

const http = require("node:http");

const PORT = Number(process.env.PORT || 8001);
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD || "correct-horse-battery-staple";

// TODO 1, storage: keep a SHA-256 hash of each key (crypto.createHash("sha256")) and its
//      prefix, never the key itself.
const KEYS = new Map(); // id -> { id, name, prefix, created_at, key }
let nextId = 1;

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

function isOwner(req) {
  // TODO 2: compare in constant time (crypto.timingSafeEqual) and answer the 401 with
  //      WWW-Authenticate: Basic realm="keys".
  const expected = "Basic " + Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64");
  return req.headers.authorization === expected;
}

function newKey() {
  // TODO 3: Math.random is predictable and 8 characters are guessable. Use
  //      crypto.randomBytes(32).toString("base64url"); a namespace like "ak_" helps.
  return Math.random().toString(36).slice(2, 10);
}

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);
  if (url.pathname === "/whoami" && req.method === "GET") {
    // TODO 4: the key comes from the X-API-Key header only, never from the URL.
    const presented = req.headers["x-api-key"] || url.searchParams.get("api_key");
    // TODO 5: find the key by the hash of the whole presented key, and answer 401 with
    //      WWW-Authenticate: ApiKey header="X-API-Key" when there is none.
    // TODO 6: count wrong keys per client address (req.socket.remoteAddress; a request without a
    //      key is not one); the 10th within 5 s still gets 401, then answer 429 with Retry-After
    //      for 5 s to every request with a key, before looking at it.
    for (const key of KEYS.values()) {
      if (presented && key.key === presented) return sendJson(res, 200, { id: key.id, name: key.name, prefix: key.prefix });
    }
    return sendJson(res, 401, { error: "unknown key" });
  }
  if (!url.pathname.startsWith("/keys")) return sendJson(res, 404, { error: "not found" });
  if (!isOwner(req)) return sendJson(res, 401, { error: "wrong password" });
  if (url.pathname === "/keys" && req.method === "POST") {
    const body = JSON.parse(await readBody(req)); // TODO: 400 for malformed JSON, 422 without a name
    const key = newKey();
    const stored = { id: nextId++, name: body.name, prefix: key.slice(0, 4), created_at: new Date().toISOString(), key };
    KEYS.set(stored.id, stored);
    return sendJson(res, 201, stored, { Location: `/keys/${stored.id}` });
  }
  if (url.pathname === "/keys" && req.method === "GET") {
    // TODO 7: never show the key again after the 201 that created it: the prefix is enough.
    return sendJson(res, 200, { items: [...KEYS.values()] });
  }
  const item = url.pathname.match(/^\/keys\/([^/]+)$/);
  if (item && req.method === "DELETE") {
    KEYS.delete(Number(item[1])); // TODO 8: 404 for an unknown id; and GET /keys/{id} is missing
    res.writeHead(204);
    return res.end();
  }
  // TODO 9, errors: every 4xx as application/problem+json with type, title, status and detail,
  //      keeping the WWW-Authenticate and Retry-After headers.
  return sendJson(res, 404, { error: "not found" });
}

http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    sendJson(res, 500, { error: "internal error" });
  });
}).listen(PORT, "127.0.0.1", () => console.log(`api keys on http://127.0.0.1:${PORT}`));
