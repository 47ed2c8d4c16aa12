// The widget's styles, injected once. Tiles reserve their box with aspect-ratio
// before any image arrives, so images loading never move the page.

const CSS = `
.ugc-g{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px;margin:0;padding:0;list-style:none}
.ugc-g--masonry{display:block;columns:4 150px;column-gap:8px}
.ugc-g--masonry>li{margin-bottom:8px;break-inside:avoid}
.ugc-g--carousel{grid-auto-flow:column;grid-template-columns:none;grid-auto-columns:minmax(140px,23%);overflow-x:auto;scroll-snap-type:x mandatory}
.ugc-g--carousel>li{scroll-snap-align:start}
.ugc-t{position:relative;display:block;width:100%;padding:0;border:0;border-radius:4px;overflow:hidden;cursor:pointer;background:#ddd center/cover no-repeat}
.ugc-t img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
.ugc-t:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}
.ugc-sep{grid-column:1/-1;column-span:all;margin:8px 0 0;color:#555;font:600 13px/1.3 system-ui,sans-serif}
.ugc-g--carousel>.ugc-sep{grid-column:auto;align-self:center;text-align:center}
.ugc-play{position:absolute;right:8px;bottom:8px;color:#fff;font:16px/1 sans-serif;text-shadow:0 0 4px #000}
.ugc-lb{position:fixed;inset:0;z-index:2147483000;display:flex;align-items:center;justify-content:center;background:rgba(0,0,0,.85);font:15px/1.4 system-ui,sans-serif}
.ugc-lb-box{position:relative;display:flex;flex-wrap:wrap;max-width:min(960px,100vw);max-height:100vh;overflow:auto;background:#fff;color:#111;border-radius:6px}
.ugc-lb-media{position:relative;flex:1 1 340px;background:#000;align-self:center}
.ugc-lb-media img,.ugc-lb-media video{display:block;width:100%;height:auto;max-height:80vh;object-fit:contain}
.ugc-lb-info{flex:1 1 260px;padding:16px;overflow-wrap:anywhere}
.ugc-lb-info a{color:#1a0dab}
.ugc-lb button{font:inherit;cursor:pointer}
.ugc-lb-close,.ugc-lb-prev,.ugc-lb-next{position:absolute;z-index:1;border:0;border-radius:50%;width:40px;height:40px;background:rgba(255,255,255,.9);color:#111;font-size:20px}
.ugc-lb-close{top:8px;right:8px}.ugc-lb-prev{left:8px;top:40%}.ugc-lb-next{right:8px;top:40%}
.ugc-hot{position:absolute;width:24px;height:24px;margin:-12px 0 0 -12px;border:2px solid #fff;border-radius:50%;background:rgba(0,0,0,.55);color:#fff;font-size:12px;line-height:20px;text-align:center;text-decoration:none}
.ugc-hot--info{background:rgba(90,90,90,.8);cursor:default}
.ugc-products{margin:12px 0 0;padding:0;list-style:none}
.ugc-products li{margin:6px 0}
.ugc-share{display:inline-block;margin:12px 0;padding:10px 16px;border-radius:4px;background:#111;color:#fff;font:15px/1.2 system-ui,sans-serif;text-decoration:none}
@media (max-width:480px){.ugc-lb-box{border-radius:0}.ugc-lb-media img,.ugc-lb-media video{max-height:55vh}}
`;

export function injectStyles() {
  if (document.getElementById('ugc-gallery-css')) return;
  const style = document.createElement('style');
  style.id = 'ugc-gallery-css';
  style.textContent = CSS;
  document.head.append(style);
}
