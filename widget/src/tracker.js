// Events to the analytics collect endpoint, batched per publishable key and sent with
// navigator.sendBeacon: a text/plain body is CORS-safelisted, so no preflight, and
// the browser delivers it even while the page unloads.

import { sessionId, uuid4, visitorId } from './ids.js';

const FLUSH_MS = 2000;
const BEACON_EVENTS = 50; // keeps each body well under the 64 KB beacon budget

export function createTracker(api, consented) {
  const queues = new Map();
  let timer = null;

  function flush() {
    clearTimeout(timer);
    timer = null;
    for (const [key, events] of queues) {
      while (events.length) send(key, events.splice(0, BEACON_EVENTS));
    }
    queues.clear();
  }

  function send(key, events) {
    const url = `${api}/api/v1/collect?key=${encodeURIComponent(key)}`;
    const body = JSON.stringify({ key, events });
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
    fetch(url, { method: 'POST', body, keepalive: true, mode: 'cors', credentials: 'omit' })
      .catch(() => {}); // analytics never breaks the page
  }

  function track(key, type, fields) {
    if (!consented()) return;
    const event = {
      event_id: uuid4(),
      type,
      client_time: Date.now(),
      visitor_id: visitorId(),
      session_id: sessionId(),
      page_url: location.href,
      referrer: document.referrer || null,
      asset_id: null,
      gallery: null,
      product_sku: null,
      position: null,
      value: null,
      currency: null,
      experiment: null,
      variant: null,
      ...fields,
    };
    if (!queues.has(key)) queues.set(key, []);
    queues.get(key).push(event);
    if (!timer) timer = setTimeout(flush, FLUSH_MS);
  }

  addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush();
  });
  return { track, flush };
}
