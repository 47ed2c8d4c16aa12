// Builds the workspace's script and styles (src/) into the Django app's static folder.
// The scripts are ES modules split by esbuild, so Chart.js is one shared chunk under
// chunks/ that the dashboard and the asset page both load (and the library never does),
// instead of a copy inside each bundle. Chunk names carry their content's hash; a build
// removes the chunks it no longer makes. The output is committed, so running the
// project needs no node.
//
//   node build.mjs [--outdir DIR]    (default: ../workspace/static/workspace)

import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf("--outdir");
const outdir = resolve(flag > 0 ? process.argv[flag + 1] : join(here, "..", "workspace", "static", "workspace"));
const common = { bundle: true, minify: true, target: ["es2020"], outdir, logLevel: "info" };

rmSync(join(outdir, "chunks"), { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  ...common,
  entryPoints: [join(here, "src", "workspace.js"), join(here, "src", "dashboard.js")],
  format: "esm",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
});
await build({
  ...common,
  entryPoints: [join(here, "src", "workspace.css"), join(here, "src", "dashboard.css")],
});
