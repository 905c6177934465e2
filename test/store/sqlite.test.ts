// The store contract on a real SQLite file in a temporary directory, plus what only SQLite has:
// the file's settings, the parent directory created on open, readers that never write.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, parseStoreLocation } from '../../src/store/open.js';
import { migrations } from '../../src/store/migrations.js';
import { OPERATIONAL_TABLES, TABLES } from '../../src/store/schema.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { budgetContract } from './budget-contract.js';
import { cart, contractRuleset, redeemInput, storeContract, type StoreHarness } from './contract.js';
import { outboxContract } from './outbox-contract.js';
import { replayContract } from './replay-contract.js';

function sqliteHarness(groupCommit: boolean): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  const path = join(dir, 'data', 'ledger.db');
  const raws = new Set<Database.Database>();
  return {
    open: (options) => openStore({ path, busyTimeoutMs: options?.busyTimeoutMs, groupCommit }),
    async rows(table) {
      const raw = new Database(path, { readonly: true });
      try {
        const rows = raw.prepare(`select * from ${table}`).all() as Record<string, unknown>[];
        return rows.map((r) => ({ ...r })).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      } finally {
        raw.close();
      }
    },
    async holdWriteLock() {
      const raw = new Database(path, { timeout: 0 });
      raws.add(raw);
      raw.prepare('begin immediate').run();
      return async () => {
        raw.prepare('rollback').run();
        raw.close();
        raws.delete(raw);
      };
    },
    async dispose() {
      for (const raw of raws) raw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract('SQLite file, group commit (the default)', async () => sqliteHarness(true));
storeContract('SQLite file, one commit per redemption', async () => sqliteHarness(false));
outboxContract('SQLite file, group commit (the default)', async () => sqliteHarness(true));
outboxContract('SQLite file, one commit per redemption', async () => sqliteHarness(false));
budgetContract('SQLite file, group commit (the default)', async () => sqliteHarness(true));
budgetContract('SQLite file, one commit per redemption', async () => sqliteHarness(false));

describe('SQLite ledger file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ledger-'));
    dirs.push(d);
    return d;
  };

  it('creates the parent directories, and uses WAL, synchronous=FULL, foreign keys and the busy timeout', async () => {
    const path = join(tempDir(), 'a', 'b', 'discounts.db');
    const store = await openStore({ path, busyTimeoutMs: 1234 });
    try {
      expect(existsSync(path)).toBe(true);
      expect(store.dialect).toBe('sqlite');
      const raw = new Database(path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table' and name not like 'kysely%' order by name").pluck().all();
      expect(tables).toEqual([...TABLES, ...OPERATIONAL_TABLES].sort());
      const indexes = raw.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%' order by name").pluck().all();
      expect(indexes).toEqual([
        'code_attempts_store_window',
        'deliveries_due',
        'deliveries_event',
        'deliveries_order',
        'events_store_created',
        'events_store_status_created',
        'events_transaction',
        'redemptions_store_local_date_cover',
        'redemptions_store_void_date',
      ]);
      raw.close();
    } finally {
      await store.close();
    }
    // The connection settings are per connection: check them on the store's own by a probe file.
    const probe = new Database(':memory:');
    const { applyPragmas } = await import('../../src/store/dialects/sqlite.js');
    applyPragmas(probe, 1234);
    expect(probe.pragma('synchronous', { simple: true })).toBe(2);
    expect(probe.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(probe.pragma('busy_timeout', { simple: true })).toBe(1234);
    probe.close();
  });

  it('readers leave the file untouched (no commit from the store connection)', async () => {
    const path = join(tempDir(), 'l.db');
    const rs = contractRuleset();
    const store = await openStore({ path });
    const watcher = new Database(path, { readonly: true });
    try {
      await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['ONCE'] })));
      const version = watcher.pragma('data_version', { simple: true });
      await store.readUsage('contract-store', ['flower-10', 'once'], 'c1');
      await store.usageTotals('contract-store');
      await store.getRedemption('contract-store', 't-1');
      await store.findRequest('contract-store', 't-2');
      await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['ONCE'] })));
      await store.ping();
      expect(watcher.pragma('data_version', { simple: true })).toBe(version);
      await store.redeem(redeemInput(rs, 't-2', cart()));
      expect(watcher.pragma('data_version', { simple: true })).not.toBe(version);
    } finally {
      watcher.close();
      await store.close();
    }
  });

  it('several processes opening one new file migrate it once', async () => {
    // One process cannot race itself (better-sqlite3 waits for a lock synchronously), so this
    // runs the built store (npm test builds first) in child processes.
    const built = join(import.meta.dirname, '../../dist/src/store/open.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    const path = join(tempDir(), 'm.db');
    const script = `const { openStore } = await import(${JSON.stringify(pathToFileURL(built).href)});
const s = await openStore({ path: ${JSON.stringify(path)} });
await s.usageTotals('x');
await s.close();`;
    const run = () =>
      new Promise<number | null>((done) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
        child.on('exit', (code) => done(code));
      });
    expect(await Promise.all([run(), run(), run()])).toEqual([0, 0, 0]);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('select name from kysely_migration order by name').pluck().all()).toEqual(Object.keys(migrations).sort());
    raw.close();
    // Opening again in this process runs nothing new.
    const store = await openStore({ path });
    await store.close();
  });

  it('several processes redeeming on one file take a limited discount exactly usageLimit times', async () => {
    // The processes share nothing but the file: BEGIN IMMEDIATE and the conditional updates keep the count.
    const dist = join(import.meta.dirname, '../../dist/src');
    if (!existsSync(join(dist, 'store/open.js'))) throw new Error(`${dist} is missing: run npm run build first`);
    const path = join(tempDir(), 'multi.db');
    const url = (m: string) => JSON.stringify(pathToFileURL(join(dist, m)).href);
    const script = (worker: number) => `
const { openStore } = await import(${url('store/open.js')});
const { compileRuleset } = await import(${url('dsl/compile.js')});
const { prepareRuleset } = await import(${url('engine/prepare.js')});
const { evaluate } = await import(${url('engine/evaluate.js')});
const rs = prepareRuleset(compileRuleset({
  store: { path: 'store.yaml', text: 'store: multi\\ntimezone: UTC\\ncurrency: USD\\n' },
  rules: [{ path: 'ten.yaml', text: 'id: ten\\nname: ten\\ntype: percentage\\nvalue: 10\\nusageLimit: 7\\n' }],
}).ruleset);
const store = await openStore({ path: ${JSON.stringify(path)} });
const limits = [{ discountId: 'ten', usageLimit: 7, perCustomerLimit: null }];
const req = { lines: [{ id: 'l1', productId: 'p', category: 'c', unitPrice: 1000, quantity: 1 }] };
const outcomes = await Promise.all(Array.from({ length: 15 }, (_, i) => store.redeem({
  store: 'multi', transactionId: 'w${worker}-' + i, requestCanonical: 'r' + i, at: '2026-01-01T00:00:00Z', localDate: '2026-01-01',
  rulesetVersion: rs.version, customerId: null, limits, price: (usage) => evaluate(rs, req, { now: 0, usage }), now: '2026-01-01T00:00:00.000Z',
})));
process.stdout.write(String(outcomes.filter((o) => o.kind === 'committed' && o.record.applied.length === 1).length));
await store.close();`;
    // Created first, so the workers race on redemptions, not on the migration.
    await (await openStore({ path })).close();
    const run = (worker: number) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(worker)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('exit', (code) => done({ code, out }));
      });
    const results = await Promise.all([run(1), run(2), run(3)]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(results.reduce((sum, r) => sum + Number(r.out), 0)).toBe(7);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("select used from usage where store = 'multi' and discount_id = 'ten'").pluck().get()).toBe(7);
    expect(raw.prepare('select count(*) from redemptions').pluck().get()).toBe(45);
    expect(raw.prepare("select count(*) from redemption_discounts where discount_id = 'ten' and took_usage = 1").pluck().get()).toBe(7);
    raw.close();
  });

  it('refuses a file it cannot open with StoreUnavailableError', async () => {
    const dir = tempDir();
    await expect(openStore({ path: dir })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('parses --db values', () => {
    expect(parseStoreLocation('./data/discounts.db')).toEqual({ dialect: 'sqlite', path: './data/discounts.db' });
    expect(parseStoreLocation('sqlite:data/x.db')).toEqual({ dialect: 'sqlite', path: 'data/x.db' });
    expect(parseStoreLocation('sqlite:///var/x.db')).toEqual({ dialect: 'sqlite', path: '/var/x.db' });
    expect(parseStoreLocation('file:///var/x.db')).toEqual({ dialect: 'sqlite', path: '/var/x.db' });
    expect(parseStoreLocation('postgres://u@h/db')).toEqual({ dialect: 'postgres', url: 'postgres://u@h/db' });
    expect(parseStoreLocation('postgresql://u@h/db')).toEqual({ dialect: 'postgres', url: 'postgresql://u@h/db' });
  });
});

replayContract('SQLite file', async () => sqliteHarness(true));
