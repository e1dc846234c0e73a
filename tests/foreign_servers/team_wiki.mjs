// Team wiki, written from exercises/team-wiki/README.md and its openapi.yaml alone: Node 20,
// standard library only. Run: PORT=8101 node team_wiki.mjs
// Legal choices the Python reference does not make: page ETags from a write counter that never
// goes back (not a hash), with a comma inside the quotes ("g12,r3"); a weak ETag on the list;
// reads sent chunked (no Content-Length), writes and errors with one; the connection closed
// after every 4xx; no Last-Modified on a 304; Cache-Control with other directives around
// no-cache; problem types that are URLs of their own; pretty-printed pages with `revision` first;
// If-Modified-Since read strictly as an HTTP date (its three forms, GMT only).
// `--mistake NAME` plants one realistic mistake (see MISTAKES), for the grader's tests.
import http from 'node:http';

const PORT = Number(process.env.PORT ?? 8101);
const MISTAKES = {
  'weak-etag': 'pages get weak ETags, W/"...", and If-Match compares them weakly to keep edits working',
  'body-on-304': 'the 304 carries the page, with its Content-Length, as a raw socket write allows',
  'if-match-presence-only': 'PUT and PATCH check that If-Match is there, not that it matches',
  'etag-is-revision': 'the ETag is the revision number, so a page created again reuses "1"',
  'ims-strictly-before': '304 only when the page changed strictly before If-Modified-Since, not at it',
  'no-cache-for-a-field': 'no-cache names a field, no-cache="Set-Cookie", beside max-age=3600: the rest may be reused for an hour',
  'patch-null-kept': 'PATCH takes a null title or body for "not sent" (body.title ?? page.title): 200',
};
const flag = process.argv.indexOf('--mistake');
const MISTAKE = flag >= 0 ? process.argv[flag + 1] : null;
if (MISTAKE !== null && !(MISTAKE in MISTAKES)) {
  console.error(`unknown mistake ${MISTAKE}; known: ${Object.keys(MISTAKES).join(', ')}`);
  process.exit(2);
}

const SLUG = /^[a-z0-9-]+$/;
const PAGE_METHODS = 'DELETE, GET, HEAD, PATCH, PUT';
const LIST_METHODS = 'GET, HEAD';
// no-cache among others: a cache keeps the copy but asks before each use.
const CACHE_CONTROL = MISTAKE === 'no-cache-for-a-field' ? 'max-age=3600, no-cache="Set-Cookie"'
  : 'private, max-age=0, no-cache';
const pages = new Map(); // slug -> { slug, title, body, revision, generation, modifiedMs }
// Bumped by every successful write of any page; never goes back, so no ETag is ever reused,
// even for a page deleted and created again.
let generation = 0;

// --- validators ------------------------------------------------------------------------------
function pageEtag(page) {
  if (MISTAKE === 'etag-is-revision') return `"${page.revision}"`;
  const tag = `"g${page.generation},r${page.revision}"`;
  return MISTAKE === 'weak-etag' ? `W/${tag}` : tag;
}

// The list changes exactly when some page is written or deleted, which is what bumps the counter.
const listEtag = () => `W/"list-${generation}"`;

// An HTTP date has whole seconds; the stored time keeps its milliseconds.
const lastModified = (page) => new Date(Math.floor(page.modifiedMs / 1000) * 1000).toUTCString();

// --- entity-tag lists (RFC 9110 §8.8.3, §13.1.1) ---------------------------------------------
// Parsed by hand because a tag may hold a comma: splitting the field on commas would cut it.
// `null` when the field is absent; `'*'`; or the tags, each { weak, opaque } (opaque with quotes).
function parseTags(value) {
  if (value === undefined) return null;
  if (value.trim() === '*') return '*';
  const tags = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && ' \t,'.includes(value[i])) i++;
    if (i >= value.length) break;
    let weak = false;
    if (value.startsWith('W/', i)) { weak = true; i += 2; }
    if (value[i] !== '"') return tags; // not an entity-tag: the rest cannot match anything
    const end = value.indexOf('"', i + 1);
    if (end < 0) return tags;
    tags.push({ weak, opaque: value.slice(i, end + 1) });
    i = end + 1;
  }
  return tags;
}

function splitTag(etag) {
  return etag.startsWith('W/') ? { weak: true, opaque: etag.slice(2) } : { weak: false, opaque: etag };
}

const weakMatch = (a, b) => a.opaque === b.opaque;
const strongMatch = (a, b) => !a.weak && !b.weak && a.opaque === b.opaque;

function anyMatch(tags, etag, match) {
  const current = splitTag(etag);
  return tags.some((tag) => match(tag, current));
}

// --- HTTP dates (RFC 9110 §5.6.7): the preferred form and the two obsolete ones ----------------
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MON = MONTHS.join('|');
const IMF = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MON}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const RFC850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${MON})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MON}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

// Seconds since the epoch, or null when the value is not a valid HTTP date.
function parseHttpDate(value) {
  let m = IMF.exec(value);
  if (m) return seconds(+m[3], m[2], +m[1], +m[4], +m[5], +m[6]);
  m = RFC850.exec(value);
  if (m) return seconds(fullYear(+m[3]), m[2], +m[1], +m[4], +m[5], +m[6]);
  m = ASCTIME.exec(value);
  if (m) return seconds(+m[6], m[1], +m[2].trim(), +m[3], +m[4], +m[5]);
  return null;
}

// RFC 9110: a two-digit year more than 50 years in the future is in the past century.
function fullYear(yy) {
  const now = new Date().getUTCFullYear();
  let year = Math.floor(now / 100) * 100 + yy;
  if (year > now + 50) year -= 100;
  return year;
}

function seconds(year, month, day, hour, minute, second) {
  const mon = MONTHS.indexOf(month);
  if (hour > 23 || minute > 59 || second > 60) return null;
  const ms = Date.UTC(year, mon, day, hour, minute, Math.min(second, 59));
  const d = new Date(ms);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== mon) return null; // 31 Feb and the like
  return Math.floor(ms / 1000);
}

// --- responses -------------------------------------------------------------------------------
const PROBLEMS = {
  400: ['malformed-json', 'Malformed JSON'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  412: ['precondition-failed', 'Precondition failed'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['invalid-page', 'Invalid page'],
  428: ['precondition-required', 'Precondition required'],
  500: ['server-error', 'Internal server error'],
};

// Errors close the connection: a client that went wrong starts afresh.
function problem(res, status, detail, headers = {}) {
  const [kind, title] = PROBLEMS[status];
  const payload = Buffer.from(JSON.stringify({
    type: `https://wiki.example/problems/${kind}`, title, status, detail,
  }));
  res.writeHead(status, {
    ...headers,
    'Content-Length': payload.length,
    'Content-Type': 'application/problem+json',
    Connection: 'close',
  });
  res.end(res.req.method === 'HEAD' ? undefined : payload);
}

// A read: validators and caching first, the body chunked (its length is not announced).
function sendRead(res, headers, value) {
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  if (res.req.method !== 'HEAD') res.write(JSON.stringify(value, null, 2) + '\n');
  res.end();
}

function notModified(res, headers, page) {
  if (MISTAKE === 'body-on-304' && page && res.req.method === 'GET') return rawNotModified(res, headers, page);
  res.writeHead(304, headers);
  res.end();
}

// What a framework that lets a handler write any bytes sends: a 304 followed by the page.
function rawNotModified(res, headers, page) {
  const payload = Buffer.from(JSON.stringify(show(page), null, 2) + '\n');
  const lines = Object.entries({ ...headers, 'Content-Type': 'application/json', 'Content-Length': payload.length,
    Date: new Date().toUTCString(), Connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
  res.socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 304 Not Modified\r\n${lines.join('')}\r\n`), payload]));
}

// A write: the page as stored, with the validators a GET would show right after.
function sendWrite(res, status, page, extra = {}) {
  const payload = Buffer.from(JSON.stringify(show(page), null, 2) + '\n');
  res.writeHead(status, {
    ...extra,
    ETag: pageEtag(page),
    'Last-Modified': lastModified(page),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': payload.length,
  });
  res.end(payload);
}

const show = (p) => ({ revision: p.revision, slug: p.slug, title: p.title, body: p.body });

// --- request bodies --------------------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function mediaType(header) {
  return (header || '').split(';')[0].trim().toLowerCase();
}

// The body as a JSON value, or undefined once an error has been answered.
function parseJson(req, res, raw, types) {
  if (!types.includes(mediaType(req.headers['content-type']))) {
    problem(res, 415, `send the page as JSON, with Content-Type: ${types.join(' or ')}`);
    return undefined;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    problem(res, 400, 'the body is not valid JSON');
    return undefined;
  }
}

// Which fields of a PUT (all required) or a PATCH (only those sent) break the rules.
function invalidFields(body, whole) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the body must be a JSON object'];
  if (MISTAKE === 'patch-null-kept' && !whole) body = withoutNulls(body);
  const errors = [];
  if ('title' in body || whole) {
    if (typeof body.title !== 'string' || body.title === '') errors.push('title must be a string that is not empty');
  }
  if ('body' in body || whole) {
    if (typeof body.body !== 'string') errors.push('body must be a string ("" is fine)');
  }
  return errors;
}

const withoutNulls = (body) => Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));

// --- preconditions (RFC 9110 §13.2.2, with the lesson's 428) ---------------------------------
const STALE = 'someone changed this page since you read it; GET it again, reapply your change '
  + 'and send the new ETag in If-Match';

// For PUT, PATCH and DELETE: null when the write may go ahead, else [status, detail].
function writePrecondition(req, page) {
  const ifMatch = parseTags(req.headers['if-match']);
  const ifNoneMatch = req.method === 'PUT' ? parseTags(req.headers['if-none-match']) : null;
  if (!page) {
    if (ifMatch !== null) return [412, 'this page does not exist, so no version of it can match If-Match; '
      + 'create it with If-None-Match: *'];
    if (ifNoneMatch === null) return [428, 'to create this page, send If-None-Match: * '
      + '(create it only if nobody has yet)'];
    return null;
  }
  if (ifMatch === null && ifNoneMatch === null) return [428, 'this wiki only takes conditional changes: '
    + 'send If-Match with the ETag of the version you edited (GET the page for it)'];
  if (ifMatch !== null && !ifMatchHolds(req, ifMatch, page)) return [412, STALE];
  if (ifNoneMatch === '*') return [412, 'this page already exists; GET it and change it with If-Match'];
  if (ifNoneMatch !== null && anyMatch(ifNoneMatch, pageEtag(page), weakMatch)) {
    return [412, 'the page is at a version If-None-Match excludes'];
  }
  return null;
}

function ifMatchHolds(req, ifMatch, page) {
  if (ifMatch === '*') return true;
  if (MISTAKE === 'if-match-presence-only' && req.method !== 'DELETE') return true;
  const compare = MISTAKE === 'weak-etag' ? weakMatch : strongMatch;
  return anyMatch(ifMatch, pageEtag(page), compare);
}

// For GET and HEAD: true when the client's copy is current. `page` is null for the list.
function notModifiedSince(req, etag, page) {
  const ifNoneMatch = parseTags(req.headers['if-none-match']);
  if (ifNoneMatch !== null) return ifNoneMatch === '*' || anyMatch(ifNoneMatch, etag, weakMatch);
  const since = req.headers['if-modified-since'];
  if (!page || since === undefined) return false;
  const date = parseHttpDate(since.trim());
  if (date === null) return false;
  const modified = Math.floor(page.modifiedMs / 1000);
  return MISTAKE === 'ims-strictly-before' ? modified < date : modified <= date;
}

// --- routes ----------------------------------------------------------------------------------
function readList(req, res) {
  const etag = listEtag();
  const headers = { 'Cache-Control': CACHE_CONTROL, ETag: etag };
  if (notModifiedSince(req, etag, null)) return notModified(res, headers, null);
  const items = [...pages.values()].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0))
    .map((p) => ({ revision: p.revision, slug: p.slug, title: p.title }));
  sendRead(res, headers, { items });
}

function readPage(req, res, slug) {
  const page = pages.get(slug);
  if (!page) return problem(res, 404, `there is no page ${slug}`);
  const etag = pageEtag(page);
  if (notModifiedSince(req, etag, page)) {
    return notModified(res, { 'Cache-Control': CACHE_CONTROL, ETag: etag }, page);
  }
  sendRead(res, { 'Cache-Control': CACHE_CONTROL, ETag: etag, 'Last-Modified': lastModified(page) }, show(page));
}

function put(req, res, slug, raw) {
  const page = pages.get(slug);
  const refused = writePrecondition(req, page);
  if (refused) return problem(res, ...refused);
  const body = parseJson(req, res, raw, ['application/json']);
  if (body === undefined) return;
  const errors = invalidFields(body, true);
  if (errors.length) return problem(res, 422, errors.join('; '));
  const stored = { slug, title: body.title, body: body.body, revision: page ? page.revision + 1 : 1,
    generation: ++generation, modifiedMs: Date.now() };
  pages.set(slug, stored);
  if (page) return sendWrite(res, 200, stored);
  const host = req.headers.host || `127.0.0.1:${server.address().port}`;
  sendWrite(res, 201, stored, { Location: `http://${host}/pages/${slug}` });
}

function patch(req, res, slug, raw) {
  const page = pages.get(slug);
  if (!page) return problem(res, 404, `there is no page ${slug}; create it with PUT and If-None-Match: *`);
  const refused = writePrecondition(req, page);
  if (refused) return problem(res, ...refused);
  const body = parseJson(req, res, raw, ['application/json', 'application/merge-patch+json']);
  if (body === undefined) return;
  const errors = invalidFields(body, false);
  if (errors.length) return problem(res, 422, errors.join('; '));
  const stored = { ...page, revision: page.revision + 1, generation: ++generation, modifiedMs: Date.now() };
  const fields = MISTAKE === 'patch-null-kept' ? withoutNulls(body) : body;
  if ('title' in fields) stored.title = fields.title;
  if ('body' in fields) stored.body = fields.body;
  pages.set(slug, stored);
  sendWrite(res, 200, stored);
}

function remove(req, res, slug) {
  const page = pages.get(slug);
  if (!page) return problem(res, 404, `there is no page ${slug}`);
  const refused = writePrecondition(req, page);
  if (refused) return problem(res, ...refused);
  pages.delete(slug);
  generation++; // the list changed
  res.writeHead(204);
  res.end();
}

async function handle(req, res) {
  const raw = await readBody(req); // read first, so that closing after an error loses nothing
  const path = new URL(req.url, 'http://wiki.invalid').pathname;
  if (path === '/pages') {
    if (req.method === 'GET' || req.method === 'HEAD') return readList(req, res);
    return problem(res, 405, `${req.method} is not allowed on /pages`, { Allow: LIST_METHODS });
  }
  const m = /^\/pages\/([^/]+)$/.exec(path);
  if (!m) return problem(res, 404, `nothing at ${path}; pages live under /pages/{slug}`);
  let slug;
  try { slug = decodeURIComponent(m[1]); } catch { slug = m[1]; }
  const valid = SLUG.test(slug);
  switch (req.method) {
    case 'GET': case 'HEAD':
      return valid ? readPage(req, res, slug) : problem(res, 404, `there is no page ${slug}`);
    case 'PUT':
      // 404 is not among PUT's statuses: a name that cannot be a slug is invalid input.
      return valid ? put(req, res, slug, raw)
        : problem(res, 422, 'a slug has lowercase letters, digits and - only');
    case 'PATCH':
      return valid ? patch(req, res, slug, raw) : problem(res, 404, `there is no page ${slug}`);
    case 'DELETE':
      return valid ? remove(req, res, slug) : problem(res, 404, `there is no page ${slug}`);
    default:
      return problem(res, 405, `${req.method} is not allowed on a page`, { Allow: PAGE_METHODS });
  }
}

const server = http.createServer((req, res) => {
  res.req = req;
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) problem(res, 500, 'the server hit an unexpected error');
  });
});
server.listen(PORT, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
