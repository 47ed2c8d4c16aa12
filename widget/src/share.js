// "Share your photo": a gallery with data-ugc-share gets a link under it to the
// brand's upload page (served by the product, in a new tab), the page's product
// preselected. The label is the attribute's value, else "Share your photo".

import { h } from './dom.js';

export function shareUrl(api, key, product) {
  const url = new URL(`${api}/upload/${encodeURIComponent(key)}/`);
  if (product) url.searchParams.set('product', product);
  return url.href;
}

export function addShareButton(root, api) {
  if (!root.hasAttribute('data-ugc-share') || !root.dataset.ugcKey) return;
  if (root.nextElementSibling && root.nextElementSibling.classList.contains('ugc-share')) return;
  const link = h('a', {
    class: 'ugc-share',
    href: shareUrl(api, root.dataset.ugcKey, root.dataset.ugcProduct || ''),
    target: '_blank',
    rel: 'noopener',
  }, root.dataset.ugcShare || 'Share your photo');
  root.after(link);
}
