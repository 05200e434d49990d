// Serves the dashboard (GET /) and its bundled assets (GET /dashboard/{file}) from dist/dashboard/,
// which scripts/build-dashboard.mjs writes. Asset names carry a content hash, so they are cached
// forever; index.html is revalidated on every load so a new build shows up at once.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, NotFoundError } from './http-errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

// The page loads only its own files and talks only to this node. 'unsafe-eval' because protobufjs
// (reflection, src/proto/index.ts) compiles its encoders with new Function from the bundled schema;
// no server data reaches it. Static generated code there would let this go.
const CSP =
  "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const HASHED = /-[A-Z0-9]{8}\.(js|css)(\.map)?$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Asset {
  body: Buffer;
  etag: string;
  type: string;
  encoded: { br?: Buffer; gzip?: Buffer };
}

/** dist/dashboard of the package this module belongs to, whether it runs from src/ or dist/src/. */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'dashboard');
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the dashboard routes module');
    dir = up;
  }
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  const files = new Set(readdirSync(dir));
  for (const name of files) {
    const type = TYPES[extname(name)];
    if (!type || !SAFE_NAME.test(name)) continue;
    const body = readFileSync(join(dir, name));
    const encoded: Asset['encoded'] = {};
    if (files.has(`${name}.br`)) encoded.br = readFileSync(join(dir, `${name}.br`));
    if (files.has(`${name}.gz`)) encoded.gzip = readFileSync(join(dir, `${name}.gz`));
    assets.set(name, {
      body,
      type,
      encoded,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return assets;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string): FastifyReply {
  reply
    .header('content-type', asset.type)
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('x-content-type-options', 'nosniff');
  if (asset.encoded.br || asset.encoded.gzip) reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const accept = String(req.headers['accept-encoding'] ?? '');
  if (asset.encoded.br && /\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(asset.encoded.br);
  if (asset.encoded.gzip && /\bgzip\b/.test(accept))
    return reply.header('content-encoding', 'gzip').send(asset.encoded.gzip);
  return reply.send(asset.body);
}

/** Registers GET / and GET /dashboard/{file}. `dir` defaults to the package's dist/dashboard. */
export function registerDashboardRoutes(app: FastifyInstance, opts: { dir?: string } = {}): void {
  const dir = opts.dir ?? defaultDashboardDir();
  // Read once, on first use: the files are small and only change with a new build (and a restart).
  let assets: Map<string, Asset> | undefined;
  const get = (): Map<string, Asset> => {
    assets ??= loadAssets(dir);
    return assets;
  };

  app.get('/', async (req, reply) => {
    const index = get().get('index.html');
    if (!index) {
      assets = undefined; // try again next time: the build may still be running
      throw new HttpError(
        503,
        'dashboard-not-built',
        `the dashboard is not built (no ${join(dir, 'index.html')}): run npm run build`,
      );
    }
    reply
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    return send(req, reply, index, 'no-cache');
  });

  app.get('/dashboard/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const asset = file === 'index.html' ? undefined : get().get(file);
    if (!asset) throw new NotFoundError(`no dashboard asset ${file}`);
    return send(req, reply, asset, HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
}
