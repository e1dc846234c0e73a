// Harden the shop: your starting point for the security exercise (lesson 5), in JavaScript.
//
// Run it:    apilab serve harden-shop        (restarts when you save; or: PORT=8001 node server.js)
// Check it:  apilab check harden-shop
//
// Node.js's standard library only: no npm install needed. This shop works: customers sign up,
// log in, manage their orders and webhooks, the admin manages accounts. It is also full of holes
// from the OWASP API Security Top 10, each marked `VULNERABLE` with what an attacker does.
// README.md has the contract; fix each hole without breaking a legitimate flow: `apilab check`
// tells you, request by request, what still gets through.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");

const PORT = Number(process.env.PORT || 8001);
const ADMIN_PASSWORD = process.env.SHOP_ADMIN_PASSWORD || "correct-horse-battery-staple";
const SECRET = "secret"; // VULNERABLE (API2): the first word on every list; crack one token, sign any

// --- errors -------------------------------------------------------------------------------------

const PHRASES = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large", 422: "Unprocessable Entity",
  429: "Too Many Requests", 500: "Internal Server Error" };

class HttpError extends Error {
  constructor(status, detail, headers = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

function invalid(detail) {
  return new HttpError(422, detail);
}

function send(res, status, body, headers = {}, type = "application/json") {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function problem(res, status, detail, headers = {}) {
  const body = { type: "about:blank", title: PHRASES[status] || "Error", status, detail };
  send(res, status, body, headers, "application/problem+json");
}

function cors(req, res) {
  const origin = req.headers.origin;
  if (origin) {
    // VULNERABLE (API8): any web page may read a logged-in user's answers.
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
  }
  // TODO (API8): Cache-Control: no-store on responses with personal data.
  // TODO (API4): refuse bodies over 64 KiB with 413 before reading them.
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function jsonBody(req) {
  return JSON.parse(await readBody(req)); // VULNERABLE (API8): a malformed body is a 500 + trace
}

// --- tokens: a home-made JWT --------------------------------------------------------------------

function b64(data) {
  return Buffer.from(data).toString("base64url");
}

function sign(header, payload) {
  return crypto.createHmac("sha256", SECRET).update(`${header}.${payload}`).digest();
}

function issueToken(user) {
  const header = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  // VULNERABLE (API2): no exp, so a stolen token works forever.
  const payload = b64(JSON.stringify({ sub: String(user.id), iat: Math.floor(Date.now() / 1000) }));
  return `${header}.${payload}.${sign(header, payload).toString("base64url")}`;
}

function subjectOf(token) {
  try {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [header, payload, signature] = parts;
    const alg = JSON.parse(Buffer.from(header, "base64url").toString()).alg;
    if (alg !== "none") { // VULNERABLE (API2): the token chooses whether it is checked at all
      const given = Buffer.from(signature, "base64url");
      const wanted = sign(header, payload);
      if (given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted)) return null;
    }
    const sub = JSON.parse(Buffer.from(payload, "base64url").toString()).sub;
    return sub === undefined ? null : String(sub);
  } catch {
    return null;
  }
}

// --- who is calling -----------------------------------------------------------------------------

const USERS = new Map(); // id -> user record
let nextUser = 1;

function hashPassword(password) {
  const salt = crypto.randomBytes(16);
  const digest = crypto.scryptSync(password, salt, 64, { N: 2 ** 10, r: 8, p: 1 });
  return `${salt.toString("hex")}$${digest.toString("hex")}`;
}

function passwordMatches(user, password) {
  const [salt, digest] = user.password_hash.split("$");
  const mine = crypto.scryptSync(password, Buffer.from(salt, "hex"), 64, { N: 2 ** 10, r: 8, p: 1 });
  return crypto.timingSafeEqual(mine, Buffer.from(digest, "hex"));
}

function caller(req) {
  const [scheme, ...rest] = (req.headers.authorization || "").split(" ");
  const token = rest.join(" ").trim();
  if (scheme.toLowerCase() !== "bearer" || !token) {
    throw new HttpError(401, "this route needs Authorization: Bearer <token>",
      { "WWW-Authenticate": 'Bearer realm="shop"' });
  }
  const sub = subjectOf(token);
  const user = sub && /^\d+$/.test(sub) ? USERS.get(Number(sub)) : undefined;
  if (user === undefined) {
    throw new HttpError(401, "the access token is not valid",
      { "WWW-Authenticate": 'Bearer realm="shop", error="invalid_token"' });
  }
  return user;
}

function admin(req) {
  return caller(req); // VULNERABLE (API5): any logged-in customer is an admin
}

function pageSize(url) {
  const limit = Number(url.searchParams.get("limit") ?? 20); // VULNERABLE (API4): limit=100000 dumps everything
  if (!Number.isInteger(limit)) throw new Error(`invalid literal for limit: ${url.searchParams.get("limit")}`);
  return limit;
}

function addUser(fields) {
  const id = nextUser++;
  const { password, ...rest } = fields;
  USERS.set(id, { id, role: "customer", ...rest, password_hash: hashPassword(password), failed_logins: 0 });
  return USERS.get(id);
}

addUser({ username: "admin", password: ADMIN_PASSWORD, email: "admin@shop.example", role: "admin" });

// --- users --------------------------------------------------------------------------------------

async function signUp(req, res) {
  const body = await jsonBody(req);
  const username = body.username.trim(); // VULNERABLE (API8): a number here is a 500 with a trace
  // VULNERABLE (API2): any characters in a username ("Bad Name!"), and no longest password
  if (username.length < 3 || username.length > 32 || typeof body.password !== "string" || body.password.length < 8) {
    throw invalid("username (3 to 32 characters) and password (8 or more) are required");
  }
  if ([...USERS.values()].some((user) => user.username === username)) {
    throw new HttpError(409, `the username ${username} is taken`);
  }
  const user = addUser(body); // VULNERABLE (API3): "role": "admin" in the body makes an admin
  send(res, 201, user, { Location: `/users/${user.id}` }); // VULNERABLE (API3): the password hash too
}

async function updateMe(req, res) {
  const who = caller(req);
  Object.assign(who, await jsonBody(req)); // VULNERABLE (API3): any field, role included
  send(res, 200, who);
}

function getUser(req, res, userId) {
  caller(req);
  if (!USERS.has(userId)) throw new HttpError(404, `there is no user ${userId}`); // VULNERABLE (API1): anyone's account, by counting ids
  send(res, 200, USERS.get(userId));
}

async function login(req, res) {
  const body = await jsonBody(req);
  if (body.username === undefined) throw new Error("KeyError: 'username'");
  const user = [...USERS.values()].find((u) => u.username === body.username);
  if (user === undefined) throw new HttpError(401, "no such user"); // VULNERABLE (API2): tells which accounts exist
  if (!passwordMatches(user, body.password)) {
    user.failed_logins += 1; // VULNERABLE (API2): counted, and never acted on
    throw new HttpError(401, "wrong password");
  }
  send(res, 200, { access_token: issueToken(user), token_type: "Bearer", expires_in: 0 });
}

// --- orders -------------------------------------------------------------------------------------

const ORDERS = new Map(); // id -> order
let nextOrder = 1;

function checkedOrder(body, keys) {
  const { item, quantity } = body;
  if (keys.includes("item") && !(typeof item === "string" && item.length >= 1 && item.length <= 100)) {
    throw invalid("item is a string of 1 to 100 characters");
  }
  if (!(Number.isInteger(quantity) && quantity >= 1 && quantity <= 100)) {
    throw invalid("quantity is a whole number from 1 to 100");
  }
  return Object.fromEntries(keys.map((key) => [key, body[key]]));
}

function findOrder(orderId, who) {
  const order = ORDERS.get(orderId);
  if (order === undefined) throw new HttpError(404, `there is no order ${orderId}`); // VULNERABLE (API1): any order, whoever owns it
  return order;
}

async function createOrder(req, res) {
  const who = caller(req);
  const fields = checkedOrder(await jsonBody(req), ["item", "quantity"]);
  const id = nextOrder++;
  ORDERS.set(id, { id, ...fields, status: "pending", owner: who.id });
  deliver(who.id, { event: "order.created", order: ORDERS.get(id) });
  send(res, 201, ORDERS.get(id), { Location: `/orders/${id}` });
}

async function changeOrder(req, res, orderId) {
  const who = caller(req);
  const order = findOrder(orderId, who);
  Object.assign(order, checkedOrder(await jsonBody(req), ["quantity"]));
  send(res, 200, order);
}

// --- webhooks -----------------------------------------------------------------------------------

const WEBHOOKS = new Map(); // id -> webhook
let nextWebhook = 1;

async function addWebhook(req, res) {
  const who = caller(req);
  const url = (await jsonBody(req)).url;
  if (typeof url !== "string" || !url) throw invalid("url is required");
  // VULNERABLE (API7): any URL, so the shop will POST to 127.0.0.1, 169.254.169.254, 10.x...
  const id = nextWebhook++;
  WEBHOOKS.set(id, { id, url, owner: who.id });
  send(res, 201, WEBHOOKS.get(id));
}

function deliver(owner, event) {
  // POST the event to the owner's webhooks, in the background; fetch follows redirects, anywhere.
  for (const hook of [...WEBHOOKS.values()].filter((h) => h.owner === owner)) {
    fetch(hook.url, { method: "POST", body: JSON.stringify(event), headers: { "Content-Type": "application/json" },
      signal: AbortSignal.timeout(3000) }).then((answer) => answer.body?.cancel(), () => {});
  }
}

// --- routing ------------------------------------------------------------------------------------

const mine = (who) => (item) => item.owner === who.id;

// [method, path pattern, handler(req, res, url, id)]: an id in the path is a whole number.
const ROUTES = [
  ["POST", /^\/users$/, (req, res) => signUp(req, res)],
  ["GET", /^\/me$/, (req, res) => send(res, 200, caller(req))],
  ["PATCH", /^\/me$/, (req, res) => updateMe(req, res)],
  ["GET", /^\/users\/([^/]+)$/, (req, res, url, id) => getUser(req, res, id)],
  ["POST", /^\/login$/, (req, res) => login(req, res)],
  ["GET", /^\/orders$/, (req, res, url) => {
    const who = caller(req);
    send(res, 200, { items: [...ORDERS.values()].filter(mine(who)).slice(0, pageSize(url)) });
  }],
  ["POST", /^\/orders$/, (req, res) => createOrder(req, res)],
  ["GET", /^\/orders\/([^/]+)$/, (req, res, url, id) => send(res, 200, findOrder(id, caller(req)))],
  ["PATCH", /^\/orders\/([^/]+)$/, (req, res, url, id) => changeOrder(req, res, id)],
  ["DELETE", /^\/orders\/([^/]+)$/, (req, res, url, id) => {
    ORDERS.delete(findOrder(id, caller(req)).id);
    res.writeHead(204).end();
  }],
  ["GET", /^\/admin\/users$/, (req, res, url) => {
    admin(req);
    send(res, 200, { items: [...USERS.values()].slice(0, pageSize(url)) });
  }],
  ["DELETE", /^\/admin\/users\/([^/]+)$/, (req, res, url, id) => {
    admin(req);
    if (!USERS.delete(id)) throw new HttpError(404, `there is no user ${id}`);
    res.writeHead(204).end();
  }],
  // VULNERABLE (API9): version 0, kept "for the old mobile app", with no authentication at all.
  ["GET", /^\/v0\/users$/, (req, res) => send(res, 200, [...USERS.values()])],
  ["GET", /^\/v0\/orders$/, (req, res) => send(res, 200, [...ORDERS.values()])],
  ["POST", /^\/webhooks$/, (req, res) => addWebhook(req, res)],
  ["GET", /^\/webhooks$/, (req, res) => {
    const who = caller(req);
    send(res, 200, { items: [...WEBHOOKS.values()].filter(mine(who)) });
  }],
];

async function handle(req, res) {
  cors(req, res);
  const url = new URL(req.url, "http://127.0.0.1");
  const matching = ROUTES.filter(([, pattern]) => pattern.test(url.pathname));
  if (matching.length === 0) throw new HttpError(404, "Not Found");
  const route = matching.find(([method]) => method === req.method);
  if (route === undefined) {
    throw new HttpError(405, "Method Not Allowed", { Allow: matching.map(([method]) => method).join(", ") });
  }
  const [, pattern, handler] = route;
  const raw = url.pathname.match(pattern)[1];
  if (raw !== undefined && !/^-?\d+$/.test(raw)) throw invalid(`the id in the path must be a whole number, not ${raw}`);
  await handler(req, res, url, raw === undefined ? undefined : Number(raw));
}

http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (err instanceof HttpError) return problem(res, err.status, err.message, err.headers);
    // VULNERABLE (API8): "debug mode" sends the stack trace, with file paths, to anyone.
    problem(res, 500, String(err.stack));
  });
}).listen(PORT, "127.0.0.1", () => console.log(`the shop on http://127.0.0.1:${PORT}`));
