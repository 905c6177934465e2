// The editor page imports only the browser-safe core and schemas/: walking every import from
// editor/src reaches no server code (src/http, src/store, src/ruleset, src/cli, src/main.ts) and
// no Node built-in, and its packages are Monaco's, monaco-yaml and uPlot (the Reports page's charts) only.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SPEC = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveFile(from: string, spec: string): string {
  const base = resolve(dirname(from), spec.replace(/\?.*$/, ''));
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), base + '.ts']) if (existsSync(candidate) && !candidate.endsWith('/')) return candidate;
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${spec}`);
}

it('reaches only browser-safe modules', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = readdirSync(join(ROOT, 'editor', 'src'))
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts'))
    .map((n) => join(ROOT, 'editor', 'src', n));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith('.json') || file.endsWith('.css')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(SPEC)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) queue.push(resolveFile(file, spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  const files = [...seen].map((f) => relative(ROOT, f)).sort();
  expect(files.filter((f) => f.startsWith('src/')).every((f) => /^src\/(domain|dsl|engine|pricing|pos|reports)\//.test(f)), files.join('\n')).toBe(true);
  expect(files.filter((f) => !/^(editor\/src|src\/(domain|dsl|engine|pricing|pos|reports)|schemas)\//.test(f))).toEqual([]);
  expect([...packages].filter((p) => !['monaco-editor', 'monaco-yaml', 'uplot'].includes(p)).sort()).toEqual([]);
  expect(files).toContain('src/domain/money.ts');
  expect(files).toContain('schemas/rule.schema.json');
});
