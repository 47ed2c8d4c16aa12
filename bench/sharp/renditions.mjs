// The same renditions as ugc/media/image.py, made by sharp on one thread, two ways:
//   documented: a pipeline per size, as sharp's documentation shows (clone() per format);
//   fastest: decode once at the largest size, derive the smaller sizes from its pixels.
// Input (argv[2], JSON): {files, rounds, sizes: [[w, h]...], jpeg, webp, ways?, out?}.
// Output (stdout, JSON): best CPU ms per file for each way and the rounds' wall ms; with
// `out`, the renditions of the first file from each way written there as
// <way>-<format>-<width>.<ext>.
import { writeFileSync, readFileSync } from "node:fs";
import sharp from "sharp";

sharp.concurrency(1);
sharp.cache(false);

const job = JSON.parse(process.argv[2]);
const files = job.files.map((path) => readFileSync(path));
const sizes = [...job.sizes].sort((a, b) => b[0] - a[0]);

const encoders = {
  jpeg: (image) => image.jpeg({ quality: job.jpeg.quality, progressive: false,
    optimiseCoding: true, chromaSubsampling: "4:2:0" }),
  webp: (image) => image.webp({ quality: job.webp.quality, effort: job.webp.effort }),
};

async function documented(input) {
  const out = {};
  for (const [width, height] of sizes) {
    const pipeline = sharp(input).rotate().resize(width, height, { fit: "fill" });
    for (const [format, encode] of Object.entries(encoders)) {
      out[`${format}-${width}`] = await encode(pipeline.clone()).toBuffer();
    }
  }
  return out;
}

// Raw pixels in memory, as a sharp input: decoded once, encoded or resized many times.
async function pixels(image) {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

async function fastest(input) {
  const out = {};
  const [width, height] = sizes[0];
  let source = await pixels(sharp(input).rotate().resize(width, height, { fit: "fill" }));
  for (const [w, h] of sizes) {
    // Each smaller size from the one before it, as ugc/media/image.py does.
    if (w !== width) source = await pixels(source.clone().resize(w, h, { fit: "fill" }));
    for (const [format, encode] of Object.entries(encoders)) {
      out[`${format}-${w}`] = await encode(source.clone()).toBuffer();
    }
  }
  return out;
}

function cpuMs(start) {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const ways = Object.fromEntries(Object.entries({ documented, fastest })
  .filter(([name]) => !job.ways || job.ways.includes(name)));
const best = Object.fromEntries(Object.keys(ways).map((way) => [way, files.map(() => Infinity)]));
for (const way of Object.values(ways)) await way(files[0]); // warm libvips and its codecs
const started = performance.now();
for (let round = 0; round < job.rounds; round++) {
  for (const [name, way] of Object.entries(ways)) {
    for (const [index, input] of files.entries()) {
      const start = process.cpuUsage();
      await way(input);
      best[name][index] = Math.min(best[name][index], cpuMs(start));
    }
  }
}
const wallMs = performance.now() - started;
if (job.out) {
  for (const [name, way] of Object.entries(ways)) {
    for (const [key, data] of Object.entries(await way(files[0]))) {
      const ext = key.startsWith("jpeg") ? "jpg" : "webp";
      writeFileSync(`${job.out}/${name}-${key}.${ext}`, data);
    }
  }
}
process.stdout.write(JSON.stringify({ best, wall_ms: wallMs, versions: sharp.versions }));
