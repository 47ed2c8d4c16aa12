// One gallery on the page: fetch the public API, draw tiles that reserve their
// space, and report views, impressions and clicks to the tracker.

import { placeholderUrl } from './blurhash.js';
import { h } from './dom.js';
import { openLightbox } from './lightbox.js';
import { altText, picture } from './media.js';

const VISIBLE_SHARE = 0.5; // an impression: at least half a tile visible ...
const VISIBLE_MS = 1000; // ... for a second
const TILE_SIZES = '(max-width: 480px) 50vw, (max-width: 960px) 33vw, 240px';

function galleryUrl(api, slug, key, product, visitor) {
  const url = new URL(`${api}/api/v1/public/galleries/${encodeURIComponent(slug)}`);
  url.searchParams.set('key', key);
  if (product) url.searchParams.set('product', product);
  if (visitor) url.searchParams.set('visitor', visitor);
  return url.href;
}

function tileRatio(item, layout) {
  if (layout === 'masonry' && item.width && item.height) return `${item.width} / ${item.height}`;
  return layout === 'carousel' ? '4 / 5' : '1 / 1';
}

function tile(item, position, gallery) {
  const button = h('button', {
    class: 'ugc-t', type: 'button',
    'aria-label': `${altText(item)}. Open`,
    'data-ugc-asset': item.id,
    style: {
      aspectRatio: tileRatio(item, gallery.layout),
      backgroundColor: item.dominant_color || '#ddd',
    },
  }, picture(item, gallery.api, { sizes: TILE_SIZES, lazy: true, alt: altText(item) }),
  item.media_type === 'video' && h('span', { class: 'ugc-play', 'aria-hidden': 'true' }, '\u25b6'));
  button.addEventListener('click', () => {
    gallery.track('asset_click', item, position);
    openLightbox(gallery, position, button);
  });
  return h('li', { role: 'listitem' }, button);
}

function watchImpressions(list, gallery) {
  const timers = new Map();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const el = entry.target;
      if (entry.intersectionRatio >= VISIBLE_SHARE && !timers.has(el)) {
        timers.set(el, setTimeout(() => {
          observer.unobserve(el); // one impression per tile per page view
          const position = Number(el.dataset.ugcPosition);
          gallery.track('asset_impression', gallery.items[position], position);
        }, VISIBLE_MS));
      } else if (entry.intersectionRatio < VISIBLE_SHARE && timers.has(el)) {
        clearTimeout(timers.get(el));
        timers.delete(el);
      }
    }
  }, { threshold: [0, VISIBLE_SHARE, 1] });
  list.querySelectorAll('.ugc-t').forEach((el, n) => {
    el.dataset.ugcPosition = n;
    observer.observe(el);
  });
}

function watchView(root, gallery) {
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      gallery.track('gallery_view', null, null);
    }
  });
  observer.observe(root);
}

// Placeholders are decoded after the tiles are on screen (in their dominant colour),
// a few per task, so that decoding never delays the first paint; a tile whose image
// has already arrived needs none.
function paintPlaceholders(list, items) {
  const tiles = [...list.querySelectorAll('.ugc-t')];
  const next = () => {
    for (const button of tiles.splice(0, 4)) {
      const img = button.querySelector('img');
      if (img && img.complete && img.naturalWidth) continue;
      const blur = placeholderUrl(items[Number(button.dataset.ugcPosition)].placeholder);
      if (blur) button.style.backgroundImage = `url("${blur}")`;
    }
    if (tiles.length) setTimeout(next);
  };
  setTimeout(next);
}

// On a product page the items come ranked: this product, its line, the brand. A
// divider says so where the reason changes (none before the product's own photos).
function divider(item, previous) {
  const before = previous ? previous.reason : 'product';
  if (!item.reason || item.reason === before || !item.reason_label) return null;
  return h('li', { class: 'ugc-sep', role: 'listitem', 'data-ugc-reason': item.reason },
    item.reason_label);
}

function render(root, gallery) {
  const list = h('ul', {
    class: `ugc-g ugc-g--${gallery.layout}`, role: 'list',
    'aria-label': gallery.title || 'Customer photos',
  }, gallery.items.flatMap((item, n) => [
    divider(item, gallery.items[n - 1]), tile(item, n, gallery),
  ]));
  root.replaceChildren(list);
  root.dataset.ugcState = 'ready';
  // After the next frame the tiles (colour and placeholder) are on screen: a mark
  // that real-user monitoring and bench/gallery.py read.
  requestAnimationFrame(() => setTimeout(() => performance.mark('ugc-gallery:painted')));
  watchView(root, gallery);
  watchImpressions(list, gallery);
  paintPlaceholders(list, gallery.items);
}

async function fetchGallery(url, root, slug) {
  // no-cache: the browser revalidates its copy (a 304 by ETag when nothing changed),
  // so a takedown never lingers in a shopper's cache; CDNs still cache by s-maxage.
  const response = await fetch(url, { mode: 'cors', credentials: 'omit', cache: 'no-cache' });
  if (!response.ok) {
    root.dataset.ugcState = 'error';
    throw new Error(`UGC gallery "${slug}": HTTP ${response.status}`);
  }
  return response.json();
}

export async function mountGallery(root, { api, tracker, visitor }) {
  const slug = root.dataset.ugcGallery;
  const key = root.dataset.ugcKey;
  const product = root.dataset.ugcProduct || '';
  root.dataset.ugcState = 'loading';
  let body = await fetchGallery(galleryUrl(api, slug, key, product, ''), root, slug);
  // An experiment runs on this slot: ask for this visitor's variant (with consent only).
  // Other pages are the same URL for every shopper, so a CDN caches them.
  if (body.experiment_pending && visitor) {
    body = await fetchGallery(galleryUrl(api, slug, key, product, visitor), root, slug);
  }
  // The experiment and variant the API chose for this visitor, reported with each event.
  const experiment = body.experiment || root.dataset.ugcExperiment || null;
  const variant = body.variant || root.dataset.ugcVariant || null;
  const gallery = {
    api, slug, key, product,
    title: body.gallery.title,
    layout: body.gallery.layout,
    items: body.items,
    track(type, item, position) {
      tracker.track(key, type, {
        gallery: slug,
        asset_id: item ? item.id : null,
        position: position === null ? null : position + 1,
        product_sku: product || null,
        experiment,
        variant,
      });
    },
    opened(item, position) { this.track('lightbox_open', item, position); },
    productClick(item, position, p) {
      tracker.track(key, 'product_click', {
        gallery: slug, asset_id: item.id, position: position + 1, product_sku: p.sku,
        experiment, variant,
      });
      tracker.flush(); // the link may navigate away: send now
    },
  };
  render(root, gallery);
  return gallery;
}
