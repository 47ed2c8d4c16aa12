// The lightbox: a modal dialog with the larger image or the video, caption, creator
// and the tagged products (hotspots on the image, "shop" links). Arrows move,
// Escape closes, Tab stays inside, and focus returns to the tile that opened it.

import { h, safeUrl } from './dom.js';
import { altText, picture, videoUrl } from './media.js';

const FOCUSABLE = 'a[href],button,video[controls],[tabindex]:not([tabindex="-1"])';

function productLabel(p) {
  return p.price ? `${p.title} (${p.price} ${p.currency})` : p.title;
}

function mediaFrame(item, gallery, index) {
  const ratio = item.width && item.height ? item.width / item.height : 1;
  const video = item.media_type === 'video' && videoUrl(item, gallery.api);
  const media = video
    ? h('video', { src: video, controls: true, playsinline: true, preload: 'metadata', 'aria-label': altText(item) })
    : picture(item, gallery.api, { sizes: '(max-width: 480px) 100vw, 600px', alt: altText(item) });
  // A product without a (web) link is still shown, as information: a plain marker.
  const hotspots = video ? [] : item.products
    .filter((p) => p.hotspot_x !== null && p.hotspot_y !== null)
    .map((p, n) => {
      const url = safeUrl(p.url);
      const style = { left: `${p.hotspot_x * 100}%`, top: `${p.hotspot_y * 100}%` };
      return url
        ? h('a', {
          class: 'ugc-hot', href: url, target: '_blank', rel: 'noopener',
          'aria-label': `Shop ${p.title}`, style,
          onclick: () => gallery.productClick(item, index, p),
        }, String(n + 1))
        : h('span', { class: 'ugc-hot ugc-hot--info', role: 'img', 'aria-label': productLabel(p), title: productLabel(p), style }, String(n + 1));
    });
  return h('div', {
    class: 'ugc-lb-media',
    style: { aspectRatio: `${ratio}`, maxWidth: `min(100%, calc(80vh * ${ratio}))` },
  }, media, hotspots);
}

function info(item, gallery, index) {
  const creator = item.creator;
  const permalink = safeUrl(item.permalink);
  const products = item.products;
  return h('div', { class: 'ugc-lb-info' },
    creator && h('p', { class: 'ugc-creator' },
      permalink ? h('a', { href: permalink, target: '_blank', rel: 'noopener' }, `@${creator.handle}`) : `@${creator.handle}`,
      ` on ${creator.platform}`),
    item.caption && h('p', { class: 'ugc-caption' }, item.caption),
    products.length > 0 && h('ul', { class: 'ugc-products', 'aria-label': 'Products in this post' },
      products.map((p) => h('li', null, safeUrl(p.url)
        ? h('a', {
          href: safeUrl(p.url), target: '_blank', rel: 'noopener',
          onclick: () => gallery.productClick(item, index, p),
        }, `Shop ${productLabel(p)}`)
        : h('span', { class: 'ugc-info' }, productLabel(p))))));
}

export function openLightbox(gallery, index, opener) {
  let current = index;
  const items = gallery.items;
  const box = h('div', { class: 'ugc-lb-box' });
  const dialog = h('div', {
    class: 'ugc-lb', role: 'dialog', 'aria-modal': 'true',
    'aria-label': gallery.title || 'Gallery',
    onclick: (e) => { if (e.target === dialog) close(); },
  }, box);
  const overflow = document.documentElement.style.overflow;

  function show(n) {
    current = (n + items.length) % items.length;
    const item = items[current];
    // filter: replaceChildren would write a skipped part (false) as the text "false".
    box.replaceChildren(...[
      h('button', { class: 'ugc-lb-close', type: 'button', 'aria-label': 'Close', onclick: close }, '\u00d7'),
      items.length > 1 && h('button', { class: 'ugc-lb-prev', type: 'button', 'aria-label': 'Previous', onclick: () => show(current - 1) }, '\u2039'),
      items.length > 1 && h('button', { class: 'ugc-lb-next', type: 'button', 'aria-label': 'Next', onclick: () => show(current + 1) }, '\u203a'),
      mediaFrame(item, gallery, current),
      info(item, gallery, current),
    ].filter(Boolean));
    box.querySelector('.ugc-lb-close').focus();
    gallery.opened(item, current);
  }

  function trapFocus(e) {
    const focusable = [...dialog.querySelectorAll(FOCUSABLE)];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
    else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
    else if (!dialog.contains(document.activeElement)) { first.focus(); e.preventDefault(); }
  }

  function onKey(e) {
    if (e.key === 'Escape') close();
    else if (e.key === 'ArrowRight') show(current + 1);
    else if (e.key === 'ArrowLeft') show(current - 1);
    else if (e.key === 'Tab') trapFocus(e);
    else return;
    e.stopPropagation();
  }

  function close() {
    document.removeEventListener('keydown', onKey, true);
    dialog.remove();
    document.documentElement.style.overflow = overflow;
    if (opener) opener.focus();
  }

  document.addEventListener('keydown', onKey, true);
  document.documentElement.style.overflow = 'hidden';
  document.body.append(dialog);
  show(index);
}
