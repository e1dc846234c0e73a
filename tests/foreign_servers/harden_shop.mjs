// harden-shop, written in Node.js (standard library only) from the exercise's README alone, to
// prove that a correct server in another stack passes. It makes the choices the README leaves
// open differently from the Python reference: string ids, forbidden members refused with 422
// (not ignored), a 400 for a bad limit, 410 for /v0, tokens that say typ "JWT" and live 600 s.
// `--mistake NAME` plants one realistic mistake (see MISTAKES), for the grader's tests.
import http from "node:http";
import crypto from "node:crypto";
import { promises as dns } from "node:dns";
import net from "node:net";

const MISTAKES = {
  "utf16-length": "text lengths counted in UTF-16 units (String.length): an emoji counts as two",
  "quantity-coerced": "a quantity sent as a string of digits (\"3\") is taken as the number",
};
const flag = process.argv.indexOf("--mistake");
const MISTAKE = flag >= 0 ? process.argv[flag + 1] : null;
if (MISTAKE !== null && !(MISTAKE in MISTAKES)) {
  console.error(`unknown mistake ${MISTAKE}; known: ${Object.keys(MISTAKES).join(", ")}`);
  process.exit(2);
}
const PORT = Number(process.env.PORT || 8001);
const KEY = crypto.randomBytes(32);
const MAX_BODY = 65536;
const LIFETIME = 600;

class Problem extends Error {
  constructor(status, detail, headers = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

// --- tokens ----------------------------------------------------------------------------------
const b64 = (buf) => Buffer.from(buf).toString("base64url");
function sign(sub) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify({ sub, iat: now, exp: now + LIFETIME }));
  const mac = crypto.createHmac("sha256", KEY).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64(mac)}`;
}
function verify(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  let header, claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url"));
  } catch {
    return null;
  }
  if (header.alg !== "HS256") return null; // our algorithm, whatever the token says
  const wanted = crypto.createHmac("sha256", KEY).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted)) return null;
  if (typeof claims.exp !== "number" || claims.exp <= Date.now() / 1000) return null;
  return typeof claims.sub === "string" ? claims.sub : null;
}

// --- store -----------------------------------------------------------------------------------
const users = new Map(); // id -> {id, username, email, role, salt, hash}
const orders = new Map();
const hooks = new Map();
const failures = new Map(); // username -> {count, until}
let counter = 0;
const newId = (prefix) => `${prefix}_${(++counter).toString(36)}${crypto.randomBytes(3).toString("hex")}`;

// A low scrypt cost (N = 1024): a grading run hashes about a hundred passwords. A real shop would
// raise it until one hash takes about 0.1 s.
function hashPassword(password, salt = crypto.randomBytes(16)) {
  return { salt, hash: crypto.scryptSync(password, salt, 32, { N: 1024 }) };
}
function addUser(username, password, email, role) {
  const id = newId("usr");
  users.set(id, { id, username, email, role, ...hashPassword(password) });
  return users.get(id);
}
addUser("admin", process.env.SHOP_ADMIN_PASSWORD || "correct-horse-battery-staple", "admin@shop.test", "admin");
const account = (u) => ({ id: u.id, username: u.username, email: u.email, role: u.role });
const byName = (name) => [...users.values()].find((u) => u.username === name);

// --- requests --------------------------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > MAX_BODY) {
      return reject(new Problem(413, `a body may hold at most ${MAX_BODY} bytes`));
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.pause();
        reject(new Problem(413, `a body may hold at most ${MAX_BODY} bytes`));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", () => reject(new Problem(400, "the body could not be read")));
  });
}
async function jsonBody(req, fields) {
  const raw = await readBody(req);
  let body;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new Problem(400, "the body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Problem(422, "the body is a JSON object");
  const extra = Object.keys(body).filter((k) => !fields.includes(k));
  if (extra.length) throw new Problem(422, `these members may not be sent: ${extra.join(", ")}`);
  return body;
}
// Lengths count Unicode characters (code points), as the contract does, not UTF-16 units.
const chars = MISTAKE === "utf16-length" ? (v) => v.length : (v) => [...v].length;
const isText = (v, min, max) => typeof v === "string" && chars(v) >= min && chars(v) <= max;
const isCount = (v) => Number.isInteger(v) && v >= 1 && v <= 100;
// The planted mistake: what a lenient parser does with "3".
const counted = (v) => (MISTAKE === "quantity-coerced" && typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v);

function caller(req) {
  const [scheme, token] = (req.headers.authorization || "").split(" ");
  if (!scheme || scheme.toLowerCase() !== "bearer" || !token) {
    throw new Problem(401, "log in first (POST /login) and send Authorization: Bearer <token>", {
      "WWW-Authenticate": 'Bearer realm="shop"',
    });
  }
  const sub = verify(token);
  const user = sub && users.get(sub);
  if (!user) throw new Problem(401, "the token is not valid", { "WWW-Authenticate": 'Bearer realm="shop", error="invalid_token"' });
  return user;
}
function adminOnly(req) {
  const who = caller(req);
  if (who.role !== "admin") throw new Problem(403, "admins only");
  return who;
}
function limitOf(url) {
  const raw = url.searchParams.get("limit");
  if (raw === null) return 20;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) throw new Problem(400, "limit is 1 to 100");
  return Number(raw);
}

// --- webhook addresses ---------------------------------------------------------------------------
function isPublic(address) {
  let ip = address.toLowerCase();
  // IPv4-mapped IPv6 and NAT64 (64:ff9b::/96) reach the IPv4 address they hold, which URL
  // parsing writes in hex: ::ffff:7f00:1, 64:ff9b::7f00:1.
  const dotted = ip.match(/^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/);
  const hex = ip.match(/^(?:::ffff:|64:ff9b::)(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/);
  if (dotted) ip = dotted[1];
  if (hex) {
    const [high, low] = [parseInt(hex[1] || "0", 16), parseInt(hex[2], 16)];
    ip = [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split(".").map(Number);
    return !(a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) || a >= 224);
  }
  // "::" begins the reserved ::/8: unspecified, loopback and IPv4-compatible (::127.0.0.1) alike.
  return !(ip.startsWith("::") || /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip) || ip.startsWith("ff") || ip.startsWith("2001:db8"));
}
async function refusal(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "only http and https";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let found;
  try {
    found = await dns.lookup(host, { all: true, verbatim: true });
  } catch {
    return `${host} does not resolve`;
  }
  const bad = found.find((entry) => !isPublic(entry.address));
  return bad ? `${host} is ${bad.address}, not a public address` : null;
}
async function deliver(owner, event) {
  for (const hook of hooks.values()) {
    if (hook.owner !== owner || (await refusal(hook.url))) continue;
    fetch(hook.url, { method: "POST", body: JSON.stringify(event), redirect: "manual", headers: { "content-type": "application/json" } })
      .catch(() => {});
  }
}

// --- routes ----------------------------------------------------------------------------------
async function route(req, url) {
  const path = url.pathname;
  const m = (re) => path.match(re);
  let match;
  if (path === "/users" && req.method === "POST") {
    const b = await jsonBody(req, ["username", "password", "email"]);
    if (typeof b.username !== "string" || !/^[a-z0-9_-]{3,32}$/.test(b.username) || !isText(b.password, 8, 128) || !isText(b.email, 3, 254)) {
      throw new Problem(422, "username (3-32 of a-z 0-9 _ -), password (8-128) and email are required");
    }
    if (byName(b.username)) throw new Problem(409, "that username is taken");
    const user = addUser(b.username, b.password, b.email, "customer");
    return [201, account(user), { Location: `/users/${user.id}` }];
  }
  if (path === "/login" && req.method === "POST") {
    const b = await jsonBody(req, ["username", "password"]);
    if (typeof b.username !== "string" || typeof b.password !== "string") throw new Problem(422, "username and password are strings");
    const state = failures.get(b.username) || { count: 0, until: 0 };
    const wait = Math.ceil((state.until - Date.now()) / 1000);
    if (wait > 0) throw new Problem(429, "too many failed logins", { "Retry-After": String(Math.min(wait, 5)) });
    const user = byName(b.username);
    const ok = user && crypto.timingSafeEqual(hashPassword(b.password, user.salt).hash, user.hash);
    if (!ok) {
      state.count += 1;
      if (state.count >= 5) Object.assign(state, { count: 0, until: Date.now() + 5000 });
      failures.set(b.username, state);
      throw new Problem(401, "wrong username or password");
    }
    failures.delete(b.username);
    return [200, { access_token: sign(user.id), token_type: "Bearer", expires_in: LIFETIME }];
  }
  if (path === "/me" && req.method === "GET") return [200, account(caller(req))];
  if (path === "/me" && req.method === "PATCH") {
    const who = caller(req);
    const b = await jsonBody(req, ["email"]);
    if (!isText(b.email, 3, 254)) throw new Problem(422, "email is a string of 3 to 254 characters");
    who.email = b.email;
    return [200, account(who)];
  }
  if ((match = m(/^\/users\/([^/]+)$/)) && req.method === "GET") {
    const who = caller(req);
    const user = users.get(decodeURIComponent(match[1]));
    if (!user || (user !== who && who.role !== "admin")) throw new Problem(404, "no such user");
    return [200, account(user)];
  }
  if (path === "/orders" && req.method === "GET") {
    const who = caller(req);
    const limit = limitOf(url);
    return [200, { items: [...orders.values()].filter((o) => o.owner === who.id).slice(0, limit) }];
  }
  if (path === "/orders" && req.method === "POST") {
    const who = caller(req);
    const b = await jsonBody(req, ["item", "quantity"]);
    b.quantity = counted(b.quantity);
    if (!isText(b.item, 1, 100) || !isCount(b.quantity)) throw new Problem(422, "item (1-100 characters) and quantity (1-100)");
    const order = { id: newId("ord"), item: b.item, quantity: b.quantity, status: "pending", owner: who.id };
    orders.set(order.id, order);
    deliver(who.id, { event: "order.created", order });
    return [201, order, { Location: `/orders/${order.id}` }];
  }
  if ((match = m(/^\/orders\/([^/]+)$/))) {
    const who = caller(req);
    const order = orders.get(decodeURIComponent(match[1]));
    if (!order || order.owner !== who.id) throw new Problem(404, "no such order");
    if (req.method === "GET") return [200, order];
    if (req.method === "PATCH") {
      const b = await jsonBody(req, ["quantity"]);
      b.quantity = counted(b.quantity);
      if (!isCount(b.quantity)) throw new Problem(422, "quantity is 1 to 100");
      order.quantity = b.quantity;
      return [200, order];
    }
    if (req.method === "DELETE") {
      orders.delete(order.id);
      return [204, null];
    }
  }
  if (path === "/admin/users" && req.method === "GET") {
    adminOnly(req);
    const limit = limitOf(url);
    return [200, { items: [...users.values()].slice(0, limit).map(account) }];
  }
  if ((match = m(/^\/admin\/users\/([^/]+)$/)) && req.method === "DELETE") {
    adminOnly(req);
    if (!users.delete(decodeURIComponent(match[1]))) throw new Problem(404, "no such user");
    return [204, null];
  }
  if (path === "/webhooks" && req.method === "GET") {
    const who = caller(req);
    return [200, { items: [...hooks.values()].filter((h) => h.owner === who.id).map(({ id, url }) => ({ id, url })) }];
  }
  if (path === "/webhooks" && req.method === "POST") {
    const who = caller(req);
    const b = await jsonBody(req, ["url"]);
    if (!isText(b.url, 1, 2000)) throw new Problem(422, "url is required");
    const why = await refusal(b.url);
    if (why) throw new Problem(422, `this URL is refused: ${why}`);
    const hook = { id: newId("whk"), url: b.url, owner: who.id };
    hooks.set(hook.id, hook);
    return [201, { id: hook.id, url: hook.url }];
  }
  if (path.startsWith("/v0/")) throw new Problem(410, "version 0 is gone");
  throw new Problem(404, "nothing here");
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  let status, body, headers = {};
  try {
    [status, body, headers = {}] = await route(req, url);
  } catch (err) {
    const known = err instanceof Problem;
    status = known ? err.status : 500;
    headers = known ? err.headers : {};
    body = { type: "about:blank", title: http.STATUS_CODES[status], status, detail: known ? err.message : "internal error" };
  }
  const out = body === null ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...(body === null ? {} : { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" }),
    ...(status === 413 ? { Connection: "close" } : {}),
  });
  res.end(out);
});
server.listen(PORT, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
