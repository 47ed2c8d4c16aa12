// Choosing what to load from an item's renditions: srcset per format for tiles, the
// largest still or the video for the lightbox. Relative URLs resolve against the API.

import { h, safeUrl } from './dom.js';

const FORMAT_TYPES = { avif: 'image/avif', webp: 'image/webp' };

function absoluteSrcset(srcset, api) {
  return srcset.split(', ').map((entry) => {
    const [url, width] = entry.split(' ');
    return `${safeUrl(url, api)} ${width}`;
  }).join(', ');
}

function fallbackImage(item) {
  const stills = item.renditions.filter((r) => r.kind === 'image');
  const plain = stills.filter((r) => r.format === 'jpeg');
  const pick = (plain.length ? plain : stills).sort((a, b) => a.width - b.width);
  return pick.length ? pick : [];
}

// <picture> with a <source> per modern format and a jpeg (or any) <img> fallback.
export function picture(item, api, { sizes, lazy, alt }) {
  const sources = Object.entries(item.srcset || {})
    .filter(([format]) => FORMAT_TYPES[format])
    .sort(([a]) => (a === 'avif' ? -1 : 1))
    .map(([format, srcset]) => h('source', {
      type: FORMAT_TYPES[format], srcset: absoluteSrcset(srcset, api), sizes,
    }));
  const stills = fallbackImage(item);
  const img = h('img', {
    alt: alt || '',
    width: item.width,
    height: item.height,
    loading: lazy ? 'lazy' : null,
    decoding: 'async',
    sizes,
    src: stills.length ? safeUrl(stills[Math.min(1, stills.length - 1)].url, api) : null,
    srcset: stills.length
      ? stills.map((r) => `${safeUrl(r.url, api)} ${r.width}w`).join(', ')
      : null,
  });
  return h('picture', null, sources, img);
}

export function videoUrl(item, api) {
  const videos = item.renditions.filter((r) => r.kind === 'video').sort((a, b) => b.width - a.width);
  return videos.length ? safeUrl(videos[0].url, api) : null;
}

export function altText(item) {
  if (item.alt_text) return item.alt_text;
  const by = item.creator ? ` by @${item.creator.handle}` : '';
  return `${item.media_type === 'video' ? 'Video' : 'Photo'}${by}`;
}
