// First-party visitor and session ids, kept in localStorage with a cookie fallback
// (Safari's private mode and some webviews throw on localStorage).

const VISITOR = 'ugc_vid';
const SESSION = 'ugc_sid';
const SESSION_IDLE_MS = 30 * 60 * 1000; // a session ends after 30 minutes without activity
const YEAR_S = 365 * 24 * 3600;

export function randomToken(bytes) {
  const raw = new Uint8Array(bytes);
  crypto.getRandomValues(raw);
  let out = '';
  for (const b of raw) out += b.toString(16).padStart(2, '0');
  return out;
}

export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const h = randomToken(16).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16], 16) & 3];
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function readCookie(name) {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
}

function read(name) {
  try {
    const v = localStorage.getItem(name);
    if (v) return v;
  } catch (e) { /* storage blocked: the cookie below still works */ }
  return readCookie(name);
}

function write(name, value, maxAge) {
  try { localStorage.setItem(name, value); } catch (e) { /* cookie only */ }
  document.cookie = `${name}=${encodeURIComponent(value)}; max-age=${maxAge}; path=/; SameSite=Lax`;
}

export function visitorId() {
  let id = read(VISITOR);
  if (!id || !/^v_[0-9a-f]{32}$/.test(id)) {
    id = 'v_' + randomToken(16);
  }
  write(VISITOR, id, YEAR_S); // refreshed on use so an active visitor keeps their id
  return id;
}

// Rotates after SESSION_IDLE_MS of inactivity; every event counts as activity.
export function sessionId(now = Date.now()) {
  let id = null;
  const saved = read(SESSION);
  if (saved) {
    const [sid, last] = saved.split('.');
    if (/^s_[0-9a-f]{32}$/.test(sid) && now - Number(last) < SESSION_IDLE_MS) id = sid;
  }
  id = id || 's_' + randomToken(16);
  write(SESSION, `${id}.${now}`, SESSION_IDLE_MS / 1000);
  return id;
}
