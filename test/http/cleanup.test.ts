// POST /v1/admin/cleanup and the daily cleanup over app.request with an injected clock: a dry run
// moves nothing, a run moves and reloads, only admin keys; cleanup.daily runs once a day on one of
// two instances sharing the database and the rules (the lease), at or after its store time.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService } from '../../src/http/app.js';
import { memoryLogger } from '../../src/http/logger.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';
import { openStore } from '../../src/store/open.js';
import { ADMIN, EDITOR, errorOf, expectSchema, harness, KEYS, type Harness } from './helpers.js';

const OLD = 'id: old\nname: Old promo\ntype: fixed\nvalue: 1\ncode: OLD\nschedule:\n  end: 2026-10-01\n';
let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'old.yaml': OLD } });
});
afterEach(async () => {
  await h.service.close();
  await h.close();
});

const cleanup = (json?: unknown, headers: Record<string, string> = ADMIN) => h.request('/v1/admin/cleanup', { method: 'POST', headers, ...(json === undefined ? {} : { json }) });

describe('POST /v1/admin/cleanup', () => {
  it('dryRun lists, a run moves the file to archive/ and reloads; editor keys are refused', async () => {
    const before = h.rulesets.current!.version;
    const dry = await cleanup({ dryRun: true });
    expect(dry.status).toBe(200);
    const d = await dry.json();
    expectSchema('CleanupResponse', d);
    expect(d).toMatchObject({ dryRun: true, usageChecked: true, graceDays: 30, rulesetVersion: before, discounts: [{ id: 'old', reason: 'schedule_ended', file: 'rules/old.yaml', archivedTo: 'rules/archive/old.yaml', moved: false }] });
    expect(d.reload).toBeUndefined();
    expect(existsSync(join(h.rulesDir, 'old.yaml'))).toBe(true);

    const res = await cleanup();
    const body = await res.json();
    expectSchema('CleanupResponse', body);
    expect(body).toMatchObject({ dryRun: false, discounts: [{ id: 'old', moved: true }], reload: { ok: true } });
    expect(body.rulesetVersion).not.toBe(before);
    expect(h.rulesets.current!.version).toBe(body.rulesetVersion);
    expect(h.rulesets.current!.compiled.discounts.map((x) => x.id)).not.toContain('old');
    expect(existsSync(join(h.rulesDir, 'archive', 'old.yaml'))).toBe(true);
    await errorOf(await cleanup(undefined, EDITOR), 403, 'forbidden');
    await errorOf(await cleanup({ dryRun: 'yes' }), 400, 'invalid_request');
  });
});

describe('the daily cleanup (cleanup.daily)', () => {
  it('runs at or after its store time, once a day, on one of two instances sharing the database', async () => {
    const store = join(h.rulesDir, 'store.yaml');
    writeFileSync(store, readFileSync(store, 'utf8') + 'cleanup:\n  daily: "03:00"\n');
    expect((await h.service.reload('http')).ok).toBe(true);
    const other = await openStore({ path: h.dbPath });
    const loaded = await loadServedRuleset(h.rulesDir, 'rules');
    if (!loaded.ok) throw new Error(loaded.message);
    const holder = new RulesetHolder(loaded.ruleset, { dir: h.rulesDir, displayDir: 'rules' });
    const b = createService({ rulesets: holder, store: other, now: () => h.clock.now, keys: KEYS, logger: memoryLogger() });
    try {
      // 02:59 in Los Angeles: not due on either.
      h.clock.now = Date.parse('2026-12-02T02:59:00-08:00');
      expect(await h.service.cleanup.tick()).toBe('not_due');
      expect(await b.cleanup.tick()).toBe('not_due');
      h.clock.now = Date.parse('2026-12-02T03:00:00-08:00');
      const [x, y] = await Promise.all([h.service.cleanup.tick(), b.cleanup.tick()]);
      expect([x, y].sort()).toEqual(['ran', 'taken_elsewhere']);
      expect(existsSync(join(h.rulesDir, 'archive', 'old.yaml'))).toBe(true);
      // Later that day: done. The instance that lost reloads at its next tick and no longer serves it.
      h.clock.now = Date.parse('2026-12-02T09:00:00-08:00');
      expect(await h.service.cleanup.tick()).toBe('done_today');
      expect(await b.cleanup.tick()).toBe('done_today');
      for (const r of [h.rulesets, holder]) expect(r.current!.compiled.discounts.map((d) => d.id)).not.toContain('old');
      // The next day, the lease is taken again (by whichever instance comes first).
      h.clock.now = Date.parse('2026-12-03T03:01:00-08:00');
      expect(await b.cleanup.tick()).toBe('ran');
      expect(await h.service.cleanup.tick()).toBe('taken_elsewhere');
    } finally {
      await b.close();
      await other.close();
    }
  });

  it('is off without cleanup.daily', async () => {
    h.clock.now = Date.parse('2026-12-02T03:00:00-08:00');
    expect(await h.service.cleanup.tick()).toBe('off');
    expect(existsSync(join(h.rulesDir, 'old.yaml'))).toBe(true);
  });
});
