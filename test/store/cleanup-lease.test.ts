// The daily cleanup lease (src/store/cleanup.ts) on SQLite (two handles on one file) and
// PostgreSQL (two stores on one database): exactly one taker per name and day, however many race.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { LedgerStore } from '../../src/store/types.js';
import { createTestDatabase, describePg, type TestDatabase } from './pg-helpers.js';

async function race(a: LedgerStore, b: LedgerStore) {
  const take = (s: LedgerStore, who: string, day: string) => s.cleanup().takeDailyLease('cleanup:s1', day, who, `${day}T11:00:00.000Z`);
  const first = await Promise.all([take(a, 'a', '2026-12-02'), take(b, 'b', '2026-12-02'), take(a, 'a2', '2026-12-02'), take(b, 'b2', '2026-12-02')]);
  expect(first.filter(Boolean)).toHaveLength(1);
  // Taken for the day: nobody else, not even the winner again; the next day, one again; an earlier day never.
  expect(await take(a, 'a', '2026-12-02')).toBe(false);
  expect(await take(b, 'b', '2026-12-02')).toBe(false);
  const next = await Promise.all([take(b, 'b', '2026-12-03'), take(a, 'a', '2026-12-03')]);
  expect(next.filter(Boolean)).toHaveLength(1);
  expect(await take(a, 'a', '2026-12-01')).toBe(false);
  // Another job name is its own lease.
  expect(await a.cleanup().takeDailyLease('cleanup:s2', '2026-12-02', 'a', '2026-12-02T11:00:00.000Z')).toBe(true);
}

describe('cleanup lease on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'discounts-lease-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('two handles on one file: one taker per day', async () => {
    const a = await openStore({ path: join(dir, 'l.db') });
    const b = await openStore({ path: join(dir, 'l.db') });
    try {
      await race(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describePg('cleanup lease on PostgreSQL', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());
  it('two stores on one database: one taker per day', async () => {
    db = await createTestDatabase();
    const a = await openStore({ url: db.url });
    const b = await openStore({ url: db.url });
    try {
      await race(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
