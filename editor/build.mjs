#!/usr/bin/env node
// Builds the editor page (Vite) into editor/dist when it is missing or stale: the stamp is a
// SHA-256 over every input (editor sources, the schemas, the browser-safe core it imports, the
// lock file). `npm run build` runs it, and so `npm ci` (prepare) and `npm start`; --force rebuilds.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'editor', 'dist');
const stampFile = join(out, '.build-stamp');
const INPUTS = ['editor/index.html', 'editor/vite.config.ts', 'editor/build.mjs', 'editor/src', 'schemas', 'src/domain', 'src/reports', 'package-lock.json'];

function files(p) {
  const abs = join(root, p);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isDirectory()) return readdirSync(abs).sort().flatMap((n) => files(join(p, n)));
  return [p];
}

function stamp() {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap(files)) h.update(relative(root, join(root, f)) + '\0').update(readFileSync(join(root, f))).update('\0');
  return h.digest('hex');
}

const want = stamp();
const force = process.argv.includes('--force');
if (!force && existsSync(join(out, 'index.html')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === want) {
  console.log('editor: editor/dist is up to date');
} else {
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(root, 'editor', 'vite.config.ts') });
  writeFileSync(stampFile, want + '\n');
  console.log(`editor: built editor/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
