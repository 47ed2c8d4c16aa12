// Builds src/ into one minified script and writes it twice into the Django app's
// static folder: ugc-gallery.js (the stable URL every embed snippet uses, served
// with a short cache) and ugc-gallery.<hash>.js (content-hashed, cached forever),
// plus ugc-gallery.manifest.json naming the hashed file. The output is committed,
// so a checkout without node still serves the widget.
//
//   node build.mjs [--outdir DIR]    (default: ../ugc/static/ugc)

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf('--outdir');
const outdir = resolve(flag > 0 ? process.argv[flag + 1] : join(here, '..', 'ugc', 'static', 'ugc'));
const HASHED = /^ugc-gallery\.[0-9a-f]{12}\.js$/;

const result = await build({
  entryPoints: [join(here, 'src', 'index.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  legalComments: 'none',
  write: false,
});
const code = result.outputFiles[0].contents;
const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
const hashed = `ugc-gallery.${hash}.js`;

mkdirSync(outdir, { recursive: true });
for (const name of readdirSync(outdir)) {
  if (HASHED.test(name) && name !== hashed) rmSync(join(outdir, name));
}
writeFileSync(join(outdir, 'ugc-gallery.js'), code);
writeFileSync(join(outdir, hashed), code);
const manifest = { file: hashed, bytes: code.length, gzip_bytes: gzipSync(code, { level: 9 }).length };
writeFileSync(join(outdir, 'ugc-gallery.manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`${hashed}: ${manifest.bytes} bytes, ${manifest.gzip_bytes} gzipped`);
