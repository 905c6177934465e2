// The code-attempt telemetry and the abuse reads (src/store/abuse.ts) on SQLite and PostgreSQL:
// batches add up across two stores on one database, reads return only the counters asked for, and
// the ledger queries run on both dialects.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { CodeAttemptRow } from '../../src/store/abuse.js';
import type { LedgerStore } from '../../src/store/types.js';
import { createTestDatabase, describePg, type TestDatabase } from './pg-helpers.js';

const W = '2026-12-02T01:00:00.000Z';
const row = (over: Partial<CodeAttemptRow>): CodeAttemptRow => ({ store: 's1', keyId: 'key-a', subjectKind: 'terminal', subject: 'reg-1', windowStart: W, attempts: 1, firstAt: '2026-12-02T01:10:00.000Z', lastAt: '2026-12-02T01:10:00.000Z', ...over });

// In one process two SQLite handles cannot wait for each other's write lock (better-sqlite3 waits
// synchronously, blocking the holder's event loop): there the batches go one after the other.
async function contract(a: LedgerStore, b: LedgerStore, concurrent: boolean) {
  const first = () => a.abuse().addCodeAttempts([row({ attempts: 3 }), row({ subjectKind: 'key', subject: '', attempts: 3 })]);
  const second = () => b.abuse().addCodeAttempts([row({ attempts: 2, firstAt: '2026-12-02T01:05:00.000Z', lastAt: '2026-12-02T01:20:00.000Z' }), row({ subjectKind: 'key', subject: '', attempts: 2 })]);
  if (concurrent) await Promise.all([first(), second()]);
  else {
    await first();
    await second();
  }
  await b.abuse().addCodeAttempts([row({ subject: 'reg-2', attempts: 7 }), row({ store: 's2', attempts: 50 }), row({ windowStart: '2026-12-02T02:00:00.000Z', attempts: 9 })]);
  const read = await a.abuse().readCodeAttempts('s1', W, [
    { keyId: 'key-a', subjectKind: 'terminal', subject: 'reg-1' },
    { keyId: 'key-a', subjectKind: 'key', subject: '' },
    { keyId: 'key-a', subjectKind: 'customer', subject: 'reg-1' },
  ]);
  expect([...read.entries()].sort()).toEqual([
    ['key-a\u0000key\u0000', 5],
    ['key-a\u0000terminal\u0000reg-1', 5],
  ]);
  const list = await b.abuse().listCodeAttempts('s1', W, '2026-12-02T02:00:00.000Z', 5);
  expect(list).toEqual([
    row({ subjectKind: 'key', subject: '', attempts: 5 }),
    row({ attempts: 5, firstAt: '2026-12-02T01:05:00.000Z', lastAt: '2026-12-02T01:20:00.000Z' }),
    row({ subject: 'reg-2', attempts: 7 }),
  ]);
  // The ledger reads are valid SQL on this dialect (an empty ledger: nothing).
  expect(await a.abuse().repeatedUses('s1', W, '2026-12-03T00:00:00.000Z', 3)).toEqual([]);
  expect(await a.abuse().voidedSales('s1', W, '2026-12-03T00:00:00.000Z')).toEqual([]);
  expect(await a.abuse().heavyDiscounts('s1', W, '2026-12-03T00:00:00.000Z', 5000)).toEqual([]);
  expect(await a.cleanup().usageEnds('s1', ['x'])).toEqual(new Map());
}

describe('abuse store on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'discounts-abuse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('two handles on one file add up', async () => {
    const a = await openStore({ path: join(dir, 'a.db') });
    const b = await openStore({ path: join(dir, 'a.db') });
    try {
      await contract(a, b, false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describePg('abuse store on PostgreSQL', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());
  it('two stores on one database add up', async () => {
    db = await createTestDatabase();
    const a = await openStore({ url: db.url });
    const b = await openStore({ url: db.url });
    try {
      await contract(a, b, true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
