// ugc-gallery.js: finds every <div data-ugc-gallery data-ugc-key> on the page and
// draws it; exposes window.UGC for the storefront (visitorId for cart attributes).

import { mountGallery } from './gallery.js';
import { visitorId } from './ids.js';
import { addShareButton } from './share.js';
import { injectStyles } from './styles.js';
import { createTracker } from './tracker.js';

performance.mark('ugc-gallery:start');

const script = document.currentScript
  || [...document.scripts].find((s) => /\/ugc-gallery(\.[0-9a-f]+)?\.js/.test(s.src));

// The API is where this script came from, unless the page says otherwise.
const api = (script && script.dataset.ugcApi) || (script ? new URL(script.src).origin : location.origin);

// No tracking and no stored ids when the page says data-ugc-consent="false" (on the
// script or a gallery) or has called UGC.setConsent(false).
let consentOverride = null;
function consented() {
  if (consentOverride !== null) return consentOverride;
  return !document.querySelector('[data-ugc-consent="false"]');
}

const tracker = createTracker(api, consented);

function mountAll() {
  injectStyles();
  const roots = document.querySelectorAll('[data-ugc-gallery]:not([data-ugc-state])');
  roots.forEach((root) => addShareButton(root, api));
  return Promise.all([...roots].map((root) => mountGallery(root, {
    api, tracker, visitor: consented() ? visitorId() : '',
  }).catch((e) => {
    console.warn(e.message); // a gallery that fails leaves the page as it was
  })));
}

window.UGC = {
  visitorId: () => (consented() ? visitorId() : null),
  setConsent(value) {
    consentOverride = Boolean(value);
  },
  mount: mountAll,
  flush: tracker.flush,
};

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mountAll);
else mountAll();
