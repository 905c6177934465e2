import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/dsl/compile.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';

const SECRET = 'whsec_' + Buffer.alloc(24, 3).toString('base64');
const STORE = 'store: s\ntimezone: UTC\ncurrency: USD\nwebhooks:\n  - url: https://hooks.example.com/in\n    events: [redemption.committed]\n    secretEnv: HOOK_SECRET\n';

describe('webhook secrets at load and reload', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const rules = () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'store.yaml'), STORE);
    writeFileSync(join(dir, 'ten.yaml'), 'id: ten\nname: ten\ntype: percentage\nvalue: 10\n');
    return dir;
  };

  it('refuses to serve rules whose secret is not in the environment it is given', async () => {
    const dir = rules();
    const refused = await loadServedRuleset(dir, 'rules', {});
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.diagnostics.map(formatDiagnostic)).toEqual(['rules/store.yaml:7:5: error webhook_secret_missing: webhooks[0].secretEnv: the environment variable HOOK_SECRET is not set']);
    const served = await loadServedRuleset(dir, 'rules', { HOOK_SECRET: SECRET });
    expect(served.ok && served.ruleset.compiled.settings.webhooks.map((w) => w.secretEnv)).toEqual(['HOOK_SECRET']);
  });

  it('a reload that names a variable the service does not have is refused; the served rules stay', async () => {
    const dir = rules();
    const env = { HOOK_SECRET: SECRET };
    const first = await loadServedRuleset(dir, 'rules', env);
    if (!first.ok) throw new Error('expected ok');
    const holder = new RulesetHolder(first.ruleset, { dir, displayDir: 'rules', env });
    writeFileSync(join(dir, 'store.yaml'), STORE.replace('HOOK_SECRET', 'NEW_SECRET'));
    const outcome = await holder.reload();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.diagnostics.map((d) => d.code)).toEqual(['webhook_secret_missing']);
    expect(holder.current).toBe(first.ruleset);
  });
});
