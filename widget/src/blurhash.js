// A small BlurHash decoder (https://blurha.sh): the API's placeholder, painted into
// a 16 px canvas as the tile's background until the image arrives.

const CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
const SIZE = 16; // a blur needs few pixels; the tile's background-size scales it up

function decode83(str) {
  let value = 0;
  for (const c of str) {
    const digit = CHARS.indexOf(c);
    if (digit < 0) throw new Error('blurhash');
    value = value * 83 + digit;
  }
  return value;
}

const toLinear = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
function toSrgb(v) {
  v = Math.max(0, Math.min(1, v));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
}
const signPow = (v, e) => Math.sign(v) * Math.abs(v) ** e;

function components(hash) {
  const flag = decode83(hash[0]);
  const nx = (flag % 9) + 1;
  const ny = Math.floor(flag / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error('blurhash');
  const max = (decode83(hash[1]) + 1) / 166;
  const dc = decode83(hash.slice(2, 6));
  const colors = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
  for (let i = 1; i < nx * ny; i++) {
    const ac = decode83(hash.slice(4 + i * 2, 6 + i * 2));
    colors.push([Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19].map(
      (q) => signPow((q - 9) / 9, 2) * max));
  }
  return { nx, ny, colors };
}

// A data: URL of the decoded placeholder, or null when the hash is not valid.
export function placeholderUrl(hash) {
  try {
    const { nx, ny, colors } = components(hash || '');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIZE;
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(SIZE, SIZE);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const rgb = [0, 0, 0];
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const basis = Math.cos((Math.PI * x * i) / SIZE) * Math.cos((Math.PI * y * j) / SIZE);
            const c = colors[i + j * nx];
            rgb[0] += c[0] * basis; rgb[1] += c[1] * basis; rgb[2] += c[2] * basis;
          }
        }
        const at = 4 * (x + y * SIZE);
        img.data.set([toSrgb(rgb[0]), toSrgb(rgb[1]), toSrgb(rgb[2]), 255], at);
      }
    }
    ctx.putImageData(img, 0, 0);
    return canvas.toDataURL();
  } catch (e) {
    return null;
  }
}
