#!/usr/bin/env node
// Bundles the dashboard's browser code (src/api/dashboard/) into dist/dashboard/ with esbuild:
// content-hashed app-*.js and style-*.css (served as immutable by src/api/dashboard-routes.ts) and
// index.html pointing at them. No CDN, nothing external: the page is these three files.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'api', 'dashboard');
const out = join(root, 'dist', 'dashboard');

// Start clean so old hashed files do not pile up.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// zod's namespace object re-exports every locale (~260 kB minified); the page only ever shows
// English messages, so its locale barrel is replaced by English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!args.importer.includes(`${join('node_modules', 'zod')}`)) return undefined;
      return { path: 'zod-locales', namespace: 'zod-english-only' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(root, 'node_modules', 'zod', 'v4', 'locales', 'en.js'))};`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

const result = await build({
  entryPoints: { app: join(src, 'app.ts'), style: join(src, 'style.css') },
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: 'chrome120',
  platform: 'browser',
  metafile: true,
  logLevel: 'warning',
  // The shared verifier code must stay browser-safe: fail loudly if it ever pulls in Node.
  external: [],
  plugins: [zodEnglishOnly],
});

const names = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  if (file.endsWith('.js')) names['app.js'] = basename(file);
  if (file.endsWith('.css')) names['style.css'] = basename(file);
}
let html = readFileSync(join(src, 'index.html'), 'utf8');
for (const [k, v] of Object.entries(names)) html = html.replaceAll(`{{${k}}}`, v);
if (/\{\{[^}]+\}\}/.test(html)) throw new Error('index.html has an unfilled placeholder');
writeFileSync(join(out, 'index.html'), html);

// Pre-compressed copies, served when the browser accepts them (no compression plugin needed).
for (const f of [names['app.js'], names['style.css']]) {
  const body = readFileSync(join(out, f));
  writeFileSync(join(out, `${f}.br`), brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(join(out, `${f}.gz`), gzipSync(body, { level: 9 }));
}

const size = (f) => result.metafile.outputs[join('dist', 'dashboard', f)]?.bytes ?? 0;
console.log(
  `dashboard: dist/dashboard/${names['app.js']} (${size(names['app.js'])} B), ${names['style.css']}, index.html`,
);
