// API keys, written from the exercise README alone: Node 20, standard library only.
// Legal choices: string ids, base64url keys with an `ak_` namespace and a 12-character prefix, a
// charset parameter in WWW-Authenticate: Basic, a lockout counted per socket address, and a plain
// 501 for a method no route has (PUT, PATCH), as many HTTP servers answer one they do not know.
import http from 'node:http';
import crypto from 'node:crypto';

const PORT = Number(process.env.PORT || 8001);
const PASSWORD = process.env.ADMIN_PASSWORD || 'correct-horse-battery-staple';
const keys = new Map();          // id -> {id, name, prefix, created_at, hash}
let next = 1;
const guesses = new Map();       // address -> {times: [], lockedUntil}

const sha = s => crypto.createHash('sha256').update(s).digest();
function problem(res, status, title, detail, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}
function json(res, status, value, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}
const shown = k => ({ id: k.id, name: k.name, prefix: k.prefix, created_at: k.created_at });

function basicOk(req) {
  const m = /^Basic +(\S+)$/i.exec(req.headers.authorization || '');
  if (!m) return false;
  const [user, ...rest] = Buffer.from(m[1], 'base64').toString('utf8').split(':');
  const a = sha(`${user}:${rest.join(':')}`), b = sha(`admin:${PASSWORD}`);
  return crypto.timingSafeEqual(a, b);
}

function whoami(req, res) {
  const key = req.headers['x-api-key'];
  const unauth = () => problem(res, 401, 'Unauthorized', 'send a valid key in X-API-Key',
                               { 'WWW-Authenticate': 'ApiKey header="X-API-Key"' });
  if (key === undefined) return unauth();
  const addr = req.socket.remoteAddress;
  const now = Date.now();
  const g = guesses.get(addr) || { times: [], lockedUntil: 0 };
  guesses.set(addr, g);
  if (now < g.lockedUntil)
    return problem(res, 429, 'Too Many Requests', 'too many wrong keys',
                   { 'Retry-After': String(Math.max(1, Math.ceil((g.lockedUntil - now) / 1000))) });
  const h = sha(key);
  const found = [...keys.values()].find(k => crypto.timingSafeEqual(k.hash, h));
  if (found) return json(res, 200, { id: found.id, name: found.name, prefix: found.prefix });
  g.times = g.times.filter(t => now - t < 5000);
  g.times.push(now);
  if (g.times.length >= 10) { g.lockedUntil = now + 5000; g.times = []; }
  return unauth();
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (!['GET', 'HEAD', 'POST', 'DELETE'].includes(req.method)) {
    res.writeHead(501, { 'Content-Type': 'text/plain' });
    return res.end(`${req.method} is not implemented\n`);
  }
  if (url.pathname === '/whoami') {
    if (req.method !== 'GET') return problem(res, 405, 'Method Not Allowed', 'GET only', { Allow: 'GET' });
    return whoami(req, res);
  }
  const item = /^\/keys\/([^/]+)$/.exec(url.pathname);
  if (url.pathname !== '/keys' && !item) return problem(res, 404, 'Not Found', 'no such route');
  if (!basicOk(req)) return problem(res, 401, 'Unauthorized', 'the account password is needed',
                                    { 'WWW-Authenticate': 'Basic realm="keys", charset="UTF-8"' });
  if (url.pathname === '/keys' && req.method === 'GET') return json(res, 200, { items: [...keys.values()].map(shown) });
  if (url.pathname === '/keys' && req.method === 'POST') {
    let body; try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = null; }
    if (!body || typeof body.name !== 'string' || [...body.name].length < 1 || [...body.name].length > 100)
      return problem(res, 422, 'Unprocessable Content', 'name: 1 to 100 characters');
    const secret = 'ak_' + crypto.randomBytes(30).toString('base64url');
    const k = { id: String(next++), name: body.name, prefix: secret.slice(0, 12),
                created_at: new Date().toISOString(), hash: sha(secret) };
    keys.set(k.id, k);
    return json(res, 201, { ...shown(k), key: secret }, { Location: `/keys/${k.id}` });
  }
  if (!item) return problem(res, 405, 'Method Not Allowed', 'GET or POST', { Allow: 'GET, POST' });
  const k = keys.get(decodeURIComponent(item[1]));
  if (req.method === 'GET') return k ? json(res, 200, shown(k)) : problem(res, 404, 'Not Found', 'no such key');
  if (req.method === 'DELETE') {
    if (!k) return problem(res, 404, 'Not Found', 'no such key');
    keys.delete(k.id); res.writeHead(204); return res.end();
  }
  return problem(res, 405, 'Method Not Allowed', 'GET or DELETE', { Allow: 'GET, DELETE' });
}

const server = http.createServer((req, res) => handle(req, res).catch(() => problem(res, 500, 'Internal Server Error', 'oops')))
  .listen(PORT, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
