// Reading list v1 + v2, written from exercises/reading-list-v2/README.md (and lesson 1's README
// it refers to) alone: Node 20, standard library only. Run: PORT=8101 node reading_list_v2.mjs
// Legal choices the Python reference does not make: string ids, `pages` in a v2 body ignored,
// relative links, the three announcing relations in one Link field beside rel="next", OpenAPI
// documents whose paths are relative to their servers URL, no query in successor-version.
// `--mistake NAME` plants one realistic mistake (see MISTAKES), for the grader's tests.
import http from 'node:http';

const PORT = Number(process.env.PORT ?? 8101);
const MISTAKES = {
  'document-unannounced': 'v1\'s OpenAPI document is served without the deprecation headers',
  'v2-list-in-v1-shape': 'GET /v2/books shows every book through v1\'s translation',
  'next-link-to-v1': 'the pager builds every next link under /v1',
  'sunset-one-digit-day': 'Sunset written with a one-digit day, as RFC 1123 formatters do',
  'sunset-rolling': 'Sunset computed at each response as six months from now, so it moves every second',
  'utf16-length': 'text lengths counted in UTF-16 units (String.length): an emoji counts as two',
  'options-unanswered': 'the list\'s 405 advertises OPTIONS in Allow, but OPTIONS /books is a 405',
};
const flag = process.argv.indexOf('--mistake');
const MISTAKE = flag >= 0 ? process.argv[flag + 1] : null;
if (MISTAKE !== null && !(MISTAKE in MISTAKES)) {
  console.error(`unknown mistake ${MISTAKE}; known: ${Object.keys(MISTAKES).join(', ')}`);
  process.exit(2);
}
const STATUSES = ['to-read', 'reading', 'done'];
const books = new Map(); // id (string) -> stored book, in v2 terms
let counter = 0;

// --- deprecation data ----------------------------------------------------------------------
const DEPRECATED_AT = Date.UTC(2026, 8, 15, 12, 0, 0); // 15 Sep 2026
const SUNSET_AT = Date.UTC(2027, 8, 15, 12, 0, 0);     // 15 Sep 2027
const DEPRECATION = '@' + Math.floor(DEPRECATED_AT / 1000);
const SUNSET = MISTAKE === 'sunset-one-digit-day' ? 'Wed, 1 Sep 2027 12:00:00 GMT'
  : new Date(SUNSET_AT).toUTCString();                  // "Wed, 15 Sep 2027 12:00:00 GMT"

// --- helpers -------------------------------------------------------------------------------
function send(res, status, body, headers = {}, contentType = 'application/json') {
  const h = { ...headers };
  let payload = null;
  if (body !== undefined && status !== 204) {
    payload = Buffer.from(JSON.stringify(body), 'utf8');
    h['Content-Type'] = contentType;
    h['Content-Length'] = payload.length;
  }
  res.writeHead(status, h);
  res.end(res.req.method === 'HEAD' ? undefined : payload || undefined);
}

const PHRASES = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error' };

function problem(res, status, detail, headers = {}, extra = {}) {
  send(res, status, { type: 'about:blank', title: PHRASES[status], status, detail, ...extra },
    headers, 'application/problem+json');
}

class Invalid extends Error {}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isJsonType(header) {
  if (!header) return false;
  const type = header.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

// Lengths count Unicode characters (code points), as the README does, not UTF-16 units.
const chars = MISTAKE === 'utf16-length' ? (v) => v.length : (v) => [...v].length;
const isText = (v) => typeof v === 'string' && chars(v) >= 1 && chars(v) <= 500;
const isPages = (v) => v === null || (Number.isInteger(v) && v >= 1 && v <= 100000);
const isNotes = (v) => v === null || (typeof v === 'string' && chars(v) <= 5000);
const isAuthors = (v) => Array.isArray(v) && v.length >= 1 && v.length <= 10 && v.every(isText);

// Validate a body against rules; full = POST/PUT (required fields, defaults), else PATCH.
function validate(body, rules, required, full) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Invalid('the body must be a JSON object');
  }
  const errors = [];
  for (const [field, ok] of Object.entries(rules)) {
    if (!(field in body)) {
      if (full && required.includes(field)) errors.push({ field, message: 'required' });
      continue;
    }
    const value = body[field];
    if (value === null && required.includes(field)) errors.push({ field, message: 'cannot be null' });
    else if (!ok(value)) errors.push({ field, message: 'invalid value' });
  }
  if (errors.length) {
    const e = new Invalid(errors.map((x) => `${x.field}: ${x.message}`).join('; '));
    e.errors = errors;
    throw e;
  }
}

const V1_RULES = { title: isText, author: isText, pages: isPages, status: (v) => STATUSES.includes(v), notes: isNotes };
const V2_RULES = { title: isText, authors: isAuthors, page_count: isPages, status: (v) => STATUSES.includes(v), notes: isNotes };

// --- shapes ----------------------------------------------------------------------------------
function asV1(b) {
  return { id: b.id, title: b.title, author: b.authors.join(', '), pages: b.page_count, status: b.status, notes: b.notes };
}
function asV2(b) { return { ...b }; }

// v1 fields -> stored fields; `stored` lets an unchanged author keep the co-authors.
function fromV1(body, stored) {
  const out = {};
  if ('title' in body) out.title = body.title;
  if ('status' in body) out.status = body.status;
  if ('notes' in body) out.notes = body.notes;
  if ('pages' in body) out.page_count = body.pages;
  if ('author' in body) {
    out.authors = stored && body.author === stored.authors.join(', ') ? stored.authors : [body.author];
  }
  return out;
}
function fromV2(body) {
  const out = {};
  for (const k of ['title', 'authors', 'page_count', 'status', 'notes']) if (k in body) out[k] = body[k];
  return out;
}

const VERSIONS = {
  v1: { rules: V1_RULES, required: ['title', 'author', 'status'], show: asV1, from: fromV1,
        defaults: { pages: null, status: 'to-read', notes: null } },
  v2: { rules: V2_RULES, required: ['title', 'authors', 'status'], show: asV2, from: (b) => fromV2(b),
        defaults: { page_count: null, status: 'to-read', notes: null } },
};

// --- OpenAPI documents -------------------------------------------------------------------------
function openapi(version) {
  const v1 = version === 'v1';
  const book = v1
    ? { type: 'object', required: ['id', 'title', 'author', 'pages', 'status', 'notes'],
        properties: { id: { type: 'string' }, title: { type: 'string' }, author: { type: 'string' },
          pages: { type: ['integer', 'null'] }, status: { type: 'string', enum: STATUSES }, notes: { type: ['string', 'null'] } } }
    : { type: 'object', required: ['id', 'title', 'authors', 'page_count', 'status', 'notes', 'added_at'],
        properties: { id: { type: 'string' }, title: { type: 'string' }, authors: { type: 'array', items: { type: 'string' } },
          page_count: { type: ['integer', 'null'] }, status: { type: 'string', enum: STATUSES },
          notes: { type: ['string', 'null'] }, added_at: { type: 'string', format: 'date-time' } } };
  const ok = (d) => ({ description: d, content: { 'application/json': { schema: { $ref: '#/components/schemas/Book' } } } });
  const err = { description: 'A problem', content: { 'application/problem+json': { schema: { type: 'object' } } } };
  const body = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  return {
    openapi: '3.1.0',
    info: { title: `Reading list ${version}`, version: v1 ? '1.0.0' : '2.0.0' },
    servers: [{ url: `/${version}` }],
    paths: {
      '/books': {
        get: { operationId: 'listBooks', deprecated: v1, responses: { 200: { description: 'A page' }, 422: err } },
        post: { operationId: 'createBook', deprecated: v1, requestBody: body, responses: { 201: ok('Created'), 422: err } },
      },
      '/books/{id}': {
        parameters: idParam,
        get: { operationId: 'getBook', deprecated: v1, responses: { 200: ok('The book'), 404: err } },
        put: { operationId: 'replaceBook', deprecated: v1, requestBody: body, responses: { 200: ok('Replaced'), 404: err } },
        patch: { operationId: 'updateBook', deprecated: v1, requestBody: body, responses: { 200: ok('Updated'), 404: err } },
        delete: { operationId: 'deleteBook', deprecated: v1, responses: { 204: { description: 'Deleted' }, 404: err } },
      },
    },
    components: { schemas: { Book: book } },
  };
}

// --- routing ---------------------------------------------------------------------------------
async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
  const path = url.pathname;
  const m = path.match(/^\/(v1|v2)(\/.*)?$/);
  if (!m) return problem(res, 404, `nothing at ${path}; this API has /v1 and /v2`);
  const version = m[1];
  const rest = m[2] || '';
  const V = VERSIONS[version];
  const method = req.method;

  if (rest === '/openapi.json') {
    // The README leaves other methods on a document free (405 or 404); the reference says 405.
    if (method !== 'GET' && method !== 'HEAD') return problem(res, 404, `nothing to ${method} at ${path}; read it with GET`);
    return send(res, 200, openapi(version));
  }
  if (rest === '/books') {
    if (method === 'GET' || method === 'HEAD') return list(req, res, url, version);
    if (method === 'POST') return create(req, res, version);
    if (method === 'OPTIONS' && MISTAKE !== 'options-unanswered') {
      res.writeHead(204, { Allow: 'GET, HEAD, POST, OPTIONS' });
      return res.end();
    }
    return problem(res, 405, `${method} is not allowed on ${path}`, { Allow: 'GET, HEAD, POST, OPTIONS' });
  }
  const item = rest.match(/^\/books\/([^/]+)$/);
  if (!item) return problem(res, 404, `nothing at ${path}`);
  const id = decodeURIComponent(item[1]);
  const allowed = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];
  if (method === 'OPTIONS') { res.writeHead(204, { Allow: [...allowed, 'OPTIONS'].join(', ') }); return res.end(); }
  if (!allowed.includes(method)) return problem(res, 405, `${method} is not allowed on ${path}`, { Allow: [...allowed, 'OPTIONS'].join(', ') });
  const stored = books.get(id);
  if (!stored) return problem(res, 404, `no book with id ${id}`);
  if (method === 'GET' || method === 'HEAD') return send(res, 200, V.show(stored));
  if (method === 'DELETE') { books.delete(id); res.writeHead(204); return res.end(); }
  const body = await jsonBody(req, res);
  if (body === undefined) return;
  try {
    validate(body, V.rules, V.required.filter((f) => method !== 'PUT' || f !== 'status'), method === 'PUT');
  } catch (e) {
    if (e instanceof Invalid) return problem(res, 422, e.message, {}, { errors: e.errors || [] });
    throw e;
  }
  if (method === 'PUT') {
    const full = { ...V.defaults, ...body };
    const replaced = { id, ...V.from(full, stored), added_at: stored.added_at };
    for (const k of ['page_count', 'notes']) if (!(k in replaced)) replaced[k] = null;
    books.set(id, { id, title: replaced.title, authors: replaced.authors, page_count: replaced.page_count,
      status: replaced.status, notes: replaced.notes, added_at: stored.added_at });
  } else {
    Object.assign(stored, V.from(body, stored));
  }
  return send(res, 200, V.show(books.get(id)));
}

async function jsonBody(req, res) {
  if (!isJsonType(req.headers['content-type'])) {
    problem(res, 415, 'send JSON with Content-Type: application/json');
    return undefined;
  }
  const text = await readJson(req);
  try {
    return JSON.parse(text);
  } catch {
    problem(res, 400, 'the body is not valid JSON');
    return undefined;
  }
}

async function create(req, res, version) {
  const V = VERSIONS[version];
  const body = await jsonBody(req, res);
  if (body === undefined) return;
  try {
    validate(body, V.rules, V.required.filter((f) => f !== 'status'), true);
  } catch (e) {
    if (e instanceof Invalid) return problem(res, 422, e.message, {}, { errors: e.errors || [] });
    throw e;
  }
  const id = `b${++counter}`;
  const fields = V.from({ ...V.defaults, ...body });
  const book = { id, title: fields.title, authors: fields.authors, page_count: fields.page_count ?? null,
    status: fields.status, notes: fields.notes ?? null, added_at: new Date().toISOString() };
  books.set(id, book);
  send(res, 201, V.show(book), { Location: `/${version}/books/${id}` });
}

function list(req, res, url, version) {
  const V = VERSIONS[version];
  const q = url.searchParams;
  let limit = 20;
  if (q.has('limit')) {
    const raw = q.get('limit');
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) {
      return problem(res, 422, 'limit must be a whole number from 1 to 100');
    }
    limit = Number(raw);
  }
  const status = q.get('status');
  if (status !== null && !STATUSES.includes(status)) return problem(res, 422, 'unknown status');
  let all = [...books.values()].filter((b) => status === null || b.status === status);
  if (q.has('cursor')) {
    // The cursor is the last id listed; the page goes on after it, whether that book is still
    // there or was deleted meanwhile.
    const after = /^b(\d+)$/.exec(q.get('cursor'));
    if (after === null) return problem(res, 400, 'unknown cursor');
    all = all.filter((b) => Number(b.id.slice(1)) > Number(after[1]));
  }
  const page = all.slice(0, limit);
  const headers = {};
  if (limit < all.length) {
    const next = new URLSearchParams(q);
    next.set('cursor', page[page.length - 1].id);
    headers.Link = `</${MISTAKE === 'next-link-to-v1' ? 'v1' : version}/books?${next}>; rel="next"`;
  }
  const show = MISTAKE === 'v2-list-in-v1-shape' ? VERSIONS.v1.show : V.show;
  send(res, 200, { items: page.map(show) }, headers);
}

// --- deprecation on every v1 response ----------------------------------------------------------
function announce(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  if (path !== '/v1' && !path.startsWith('/v1/')) return;
  if (MISTAKE === 'document-unannounced' && path === '/v1/openapi.json') return;
  const successor = '/v2' + path.slice(3);
  res.setHeader('Deprecation', DEPRECATION);
  res.setHeader('Sunset', MISTAKE === 'sunset-rolling'
    ? new Date(Date.now() + 182 * 86400e3).toUTCString() : SUNSET);
  // A second Link field, beside the one pagination may set.
  const original = res.writeHead;
  res.writeHead = function (status, ...args) {
    const headers = typeof args[0] === 'object' ? args[0] : (args[1] || {});
    const links = [`<${successor}>; rel="successor-version"`, '</docs/v1-to-v2>; rel="deprecation"',
      '</docs/versions>; rel="sunset"'];
    const existing = headers.Link;
    headers.Link = existing ? [existing, links.join(', ')] : links.join(', ');
    return original.call(this, status, headers);
  };
}

const server = http.createServer((req, res) => {
  res.req = req;
  announce(req, res);
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) problem(res, 500, 'the server hit an unexpected error');
  });
});
server.listen(PORT, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
