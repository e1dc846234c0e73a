// Private notes, written from the exercise README alone: Node 20, standard library only.
// Legal choices the README allows and a Python solution would rarely make: string ids, an absolute
// Location, a realm in WWW-Authenticate, a body naming `owner` refused with 422 (not ignored), and
// a token in the query string answered 400 invalid_request (not 401).
import http from 'node:http';
import crypto from 'node:crypto';

const ISSUER = process.env.SANDBOX_URL || 'http://127.0.0.1:8000';
const PORT = Number(process.env.PORT || 8001);
const AUDIENCE = 'urn:apilab:notes';
let keys = new Map();
let lastFetch = 0;

async function refreshKeys() {
  const now = Date.now();
  if (now - lastFetch < 1000) return;
  lastFetch = now;
  const meta = await (await fetch(`${ISSUER}/.well-known/oauth-authorization-server`)).json();
  const jwks = await (await fetch(meta.jwks_uri)).json();
  keys = new Map(jwks.keys.map(k => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));
}

const b64json = s => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

async function validate(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  let header, claims;
  try { header = b64json(parts[0]); claims = b64json(parts[1]); } catch { return null; }
  if (header.alg !== 'RS256') return null;
  const typ = String(header.typ || '').toLowerCase();
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return null;
  if (!keys.has(header.kid)) { try { await refreshKeys(); } catch { return null; } }
  const key = keys.get(header.kid);
  if (!key) return null;
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key,
                           Buffer.from(parts[2], 'base64url'));
  if (!ok) return null;
  const now = Date.now() / 1000;
  if (claims.iss !== ISSUER) return null;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(AUDIENCE)) return null;
  if (typeof claims.exp !== 'number' || claims.exp <= now - 60) return null;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + 60)) return null;
  if (typeof claims.sub !== 'string' || typeof claims.scope !== 'string') return null;
  return { sub: claims.sub, scopes: new Set(claims.scope.split(' ').filter(Boolean)) };
}

function problem(res, status, title, detail, extraHeaders = {}) {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, { 'Content-Type': 'application/problem+json', ...extraHeaders });
  res.end(body);
}
function json(res, status, value, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(value));
}

const notes = new Map();
let next = 1;

function validNote(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object';
  if ('owner' in body || 'id' in body) return 'owner and id are set by the server';
  if (typeof body.title !== 'string') return 'title is required and must be a string';
  const n = [...body.title].length;
  if (n < 1 || n > 200) return 'title must have 1 to 200 characters';
  if (body.body !== undefined && (typeof body.body !== 'string' || [...body.body].length > 10000))
    return 'body must be a string of at most 10,000 characters';
  return null;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString('utf8');

  if (url.searchParams.has('access_token'))
    return problem(res, 400, 'Bad Request', 'tokens go in the Authorization header, never in the URL',
                   { 'WWW-Authenticate': 'Bearer realm="notes", error="invalid_request"' });
  const m = /^Bearer +(\S+)$/i.exec(req.headers.authorization || '');
  if (!m) return problem(res, 401, 'Unauthorized', 'send a bearer token', { 'WWW-Authenticate': 'Bearer realm="notes"' });
  const who = await validate(m[1]);
  if (!who) return problem(res, 401, 'Unauthorized', 'the token is not valid',
                           { 'WWW-Authenticate': 'Bearer realm="notes", error="invalid_token", error_description="bad token"' });

  const path = url.pathname;
  const item = /^\/notes\/([^/]+)$/.exec(path);
  if (path !== '/notes' && !item) return problem(res, 404, 'Not Found', 'no such route');
  const method = req.method;
  const allowed = path === '/notes' ? ['GET', 'POST'] : ['GET', 'PUT', 'DELETE'];
  if (!allowed.includes(method)) return problem(res, 405, 'Method Not Allowed', 'not here', { Allow: allowed.join(', ') });
  const need = method === 'GET' ? 'notes:read' : 'notes:write';
  if (!who.scopes.has(need))
    return problem(res, 403, 'Forbidden', `this needs ${need}`,
                   { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${need}"` });

  if (path === '/notes' && method === 'GET')
    return json(res, 200, { items: [...notes.values()].filter(n => n.owner === who.sub) });
  if (path === '/notes') {
    let body; try { body = JSON.parse(raw); } catch { return problem(res, 422, 'Unprocessable Content', 'not JSON'); }
    const why = validNote(body);
    if (why) return problem(res, 422, 'Unprocessable Content', why);
    const note = { id: `n${next++}`, title: body.title, body: body.body ?? '', owner: who.sub };
    notes.set(note.id, note);
    return json(res, 201, note, { Location: `http://${req.headers.host}/notes/${note.id}` });
  }
  const note = notes.get(decodeURIComponent(item[1]));
  if (!note || note.owner !== who.sub) return problem(res, 404, 'Not Found', 'no such note');
  if (method === 'GET') return json(res, 200, note);
  if (method === 'DELETE') { notes.delete(note.id); res.writeHead(204); return res.end(); }
  let body; try { body = JSON.parse(raw); } catch { return problem(res, 422, 'Unprocessable Content', 'not JSON'); }
  const why = validNote(body);
  if (why) return problem(res, 422, 'Unprocessable Content', why);
  note.title = body.title; note.body = body.body ?? '';
  return json(res, 200, note);
}

const server = http.createServer((req, res) => handle(req, res).catch(e => problem(res, 500, 'Internal Server Error', 'oops')))
  .listen(PORT, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
