// GET /editor: the rule editor's page and assets (the Vite build of editor/, in editor/dist), with
// no key (the page asks for one; its API calls carry it). Files are served only from inside the
// build folder (realpath checked), index.html is never cached and the hashed assets are immutable.
// The Content-Security-Policy allows this origin only: no CDN, no network beyond the service.
// Registered with app.use, so these are not API routes (the OpenAPI document lists only /v1).

import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import type { AppHono } from '../context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Monaco sets styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The package root (the folder with package.json), from this module in src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Where `npm run build:editor` writes the page. */
export const DEFAULT_EDITOR_DIR = join(packageRoot(), 'editor', 'dist');

export function editorPageRoutes(app: AppHono, editorDir: string = DEFAULT_EDITOR_DIR): void {
  let root: Promise<string | null> | null = null;
  const realRoot = () => (root ??= realpath(editorDir).catch(() => null));

  app.use('/editor', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    return c.redirect('/editor/', 301);
  });

  app.use('/editor/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const base = await realRoot();
    if (!base) {
      root = null; // built later: look again next time
      return c.text('The editor is not built: run `npm run build:editor` (npm run build and npm ci do it too), then reload this page.\n', 503, { 'Retry-After': '5' });
    }
    let rel: string;
    try {
      rel = decodeURIComponent(c.req.path.slice('/editor/'.length));
    } catch {
      return c.text('bad path\n', 400);
    }
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    if (rel.includes('\0') || rel.split(/[\\/]/).some((seg) => seg === '..' || seg.startsWith('.'))) return c.text('not found\n', 404);
    const file = await realpath(join(base, rel)).catch(() => null);
    const within = file !== null && !relative(base, file).startsWith('..' + sep) && relative(base, file) !== '..';
    if (!file || !within || !(await stat(file).then((s) => s.isFile(), () => false))) {
      // An unknown page path (not an asset) gets the page itself.
      if (!extname(rel)) return serveFile(c, join(base, 'index.html'), true);
      return c.text('not found\n', 404);
    }
    return serveFile(c, file, rel === 'index.html');
  });
}

async function serveFile(c: Context, file: string, isPage: boolean): Promise<Response> {
  const body = await readFile(file);
  const headers: Record<string, string> = {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': isPage ? 'no-cache' : /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(file) ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
  };
  if (isPage) {
    headers['Content-Security-Policy'] = CSP;
    headers['Referrer-Policy'] = 'no-referrer';
  }
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}
