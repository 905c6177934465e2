// The store contract on PostgreSQL (DISCOUNTS_TEST_PG_URL; a fresh database per test, dropped
// afterwards), plus what only PostgreSQL has: several pools ("instances") on one database, a retry
// waiting on the primary key of a redemption in flight, serialization failures and deadlocks raised
// by the server (a test trigger) retried then refused with nothing written, a database that goes
// away and comes back (a TCP proxy cut and restored), concurrent migration. Without the variable
// the PostgreSQL suites are skipped with a printed reason; with CI=true they fail instead.

import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { classifyPostgresError, openPostgres, redactPostgresUrl } from '../../src/store/dialects/postgres.js';
import { describeStoreLocation, openStore, resolveStoreSetting, StoreConfigError } from '../../src/store/open.js';
import { TABLES } from '../../src/store/schema.js';
import { StoreUnavailableError, type LedgerStore, type RedemptionRecord } from '../../src/store/types.js';
import { cart, contractRuleset, redeemInput, storeContract, type StoreHarness } from './contract.js';
import { outboxContract } from './outbox-contract.js';
import { createTestDatabase, describePg, tableRows, TcpProxy, type TestDatabase } from './pg-helpers.js';

async function pgHarness(): Promise<StoreHarness> {
  const database = await createTestDatabase();
  let reader: pg.Client | null = null;
  return {
    open: (options) => openStore({ url: database.url, busyTimeoutMs: options?.busyTimeoutMs }),
    async rows(table) {
      reader ??= await database.client();
      return tableRows(reader, table);
    },
    async holdWriteLock() {
      // EXCLUSIVE blocks every write of the ledger's tables and lets plain reads through.
      const c = await database.client();
      await c.query('begin');
      await c.query(`lock table ${TABLES.join(', ')} in exclusive mode`);
      return async () => {
        await c.query('rollback');
      };
    },
    dispose: () => database.drop(),
  };
}

describePg('PostgreSQL store contract', () => storeContract('postgres', pgHarness));
describePg('PostgreSQL outbox contract', () => outboxContract('postgres', pgHarness));

const rs = contractRuleset();
const committed = (o: Awaited<ReturnType<LedgerStore['redeem']>>): RedemptionRecord => {
  if (o.kind !== 'committed') throw new Error(`expected committed, got ${o.kind}`);
  return o.record;
};
const appliedIds = (r: { applied: { discountId: string }[] }) => r.applied.map((a) => a.discountId);

describePg('PostgreSQL ledger', () => {
  let database: TestDatabase;
  /** A client of the test's own on the test database. */
  let c: pg.Client;
  const stores: LedgerStore[] = [];
  const proxies: TcpProxy[] = [];
  const open = async (url: string, options: { busyTimeoutMs?: number; poolSize?: number } = {}) => {
    const s = await openStore({ url, ...options });
    stores.push(s);
    return s;
  };
  const fresh = async () => {
    database = await createTestDatabase();
    c = await database.client();
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const p of proxies.splice(0)) await p.down();
    await database?.drop();
  });
  async function snapshot(): Promise<string> {
    const all: Record<string, unknown> = {};
    for (const t of TABLES) all[t] = await tableRows(c, t);
    return JSON.stringify(all);
  }
  async function used(discountId: string): Promise<number> {
    const { rows } = await c.query('select used from usage where store = $1 and discount_id = $2', ['contract-store', discountId]);
    return rows.length ? Number(rows[0].used) : 0;
  }
  /** Waits until `n` sessions of the store wait on a lock (pg_stat_activity). */
  async function waitForLockWaits(n: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await c.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'discounts' and wait_event_type = 'Lock'",
      );
      if (rows[0].n >= n) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`fewer than ${n} sessions waited on a lock within 5 s`);
  }

  it('uses READ COMMITTED write transactions whatever the server default, lock_timeout from busyTimeoutMs, the pool size', async () => {
    await fresh();
    await c.query(`alter database ${database.name} set default_transaction_isolation = 'serializable'`);
    await c.query(`alter database ${database.name} set lock_timeout = 99999`);
    const handle = openPostgres({ url: database.url, busyTimeoutMs: 1234, poolSize: 3 });
    try {
      const seen = await handle.db.transaction().execute(async (trx) => {
        const iso = await sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(trx);
        const lock = await sql<{ lock_timeout: string }>`show lock_timeout`.execute(trx);
        const ro = await sql<{ transaction_read_only: string }>`show transaction_read_only`.execute(trx);
        return [iso.rows[0].transaction_isolation, lock.rows[0].lock_timeout, ro.rows[0].transaction_read_only];
      });
      expect(seen).toEqual(['read committed', '1234ms', 'off']);
      // Twelve concurrent transactions share at most 3 connections.
      await Promise.all(Array.from({ length: 12 }, () => handle.db.transaction().execute((trx) => sql`select pg_sleep(0.02)`.execute(trx))));
      const { rows } = await c.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'discounts'");
      expect(rows[0].n).toBe(3);
    } finally {
      await handle.close();
    }
    const store = await open(database.url);
    expect(store.dialect).toBe('postgres');
    const tables = await c.query("select tablename from pg_tables where schemaname = 'public' and tablename not like 'kysely%' order by tablename");
    expect(tables.rows.map((r) => r.tablename)).toEqual([...TABLES].sort());
  });

  it('two instances on one database: exactly usageLimit uses and one per customer under concurrency', async () => {
    await fresh();
    const a = await open(database.url);
    const b = await open(database.url);
    const n = 40;
    const outcomes = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 ? a : b).redeem(redeemInput(rs, `m-${i}`, cart({ customerId: `c-${i % 4}`, codes: ['ONCE', 'BOTH'] }))),
      ),
    );
    const records = outcomes.map(committed);
    expect(records.filter((r) => appliedIds(r).includes('flower-10'))).toHaveLength(5);
    expect(records.filter((r) => appliedIds(r).includes('both'))).toHaveLength(3);
    for (let c = 0; c < 4; c++) {
      const mine = records.filter((_, i) => i % 4 === c);
      expect(mine.filter((r) => appliedIds(r).includes('once'))).toHaveLength(1);
    }
    expect(await used('flower-10')).toBe(5);
    expect(await used('both')).toBe(3);
    const cu = await c.query("select customer_id, used from customer_usage where discount_id = 'once' order by customer_id");
    expect(cu.rows.map((r) => [r.customer_id, Number(r.used)])).toEqual([
      ['c-0', 1],
      ['c-1', 1],
      ['c-2', 1],
      ['c-3', 1],
    ]);
    // The ledger agrees with the counters.
    const taken = await c.query("select count(*)::int as n from redemption_discounts where discount_id = 'flower-10' and took_usage = 1");
    expect(taken.rows[0].n).toBe(5);
  });

  it('a retry on another instance while the first is in flight waits on the transaction id, then replays', async () => {
    await fresh();
    const first = await open(database.url, { busyTimeoutMs: 10_000 });
    const second = await open(database.url, { busyTimeoutMs: 10_000 });
    // A cart with no limited discount, so the retry's first wait is the redemption's primary key.
    const req = { ...cart({ codes: ['FREE'] }), lines: [{ id: 'l2', productId: 'gummies', category: 'edibles', unitPrice: 1500, quantity: 2 }] };
    // Hold the first redemption after its INSERT INTO redemptions, before its discounts.
    const blocker = await database.client();
    await blocker.query('begin');
    await blocker.query('lock table redemption_discounts in share mode');
    const inFlight = first.redeem(redeemInput(rs, 'dup', req));
    await waitForLockWaits(1);
    const retry = second.redeem(redeemInput(rs, 'dup', req));
    await waitForLockWaits(2);
    const waiting = await c.query(
      "select query from pg_stat_activity where datname = current_database() and application_name = 'discounts' and wait_event_type = 'Lock'",
    );
    expect(waiting.rows.map((r) => String(r.query).slice(0, 30)).sort()).toEqual(['insert into "redemption_discou', 'insert into "redemptions" ("st']);
    await blocker.query('rollback');
    const [a, b] = await Promise.all([inFlight, retry]);
    expect(a.kind).toBe('committed');
    expect(b.kind).toBe('replay');
    expect(JSON.stringify(b.kind === 'replay' && b.record)).toBe(JSON.stringify(committed(a)));
    expect((await c.query("select count(*)::int as n from redemptions where transaction_id = 'dup'")).rows[0].n).toBe(1);

    // When the first one rolls back instead (its connection dies), the waiting retry commits itself.
    const proxy = new TcpProxy(database.url);
    proxies.push(proxy);
    await proxy.up();
    const doomed = await open(proxy.url(database.url), { busyTimeoutMs: 10_000 });
    await blocker.query('begin');
    await blocker.query('lock table redemption_discounts in share mode');
    const dying = doomed.redeem(redeemInput(rs, 'dup-2', req));
    await waitForLockWaits(1);
    const survivor = second.redeem(redeemInput(rs, 'dup-2', req));
    await waitForLockWaits(2);
    await proxy.down();
    await expect(dying).rejects.toBeInstanceOf(StoreUnavailableError);
    await blocker.query('rollback');
    expect((await survivor).kind).toBe('committed');
    expect((await c.query("select count(*)::int as n from redemption_discounts where transaction_id = 'dup-2'")).rows[0].n).toBe(1);
  });

  for (const [code, what] of [
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
  ] as const) {
    it(`retries a ${what} (${code}) a bounded number of times, then StoreUnavailableError with nothing half-written`, async () => {
      await fresh();
      const store = await open(database.url);
      // The server raises the error after the redemption row and the usage are written, as many
      // times as the sequence allows (sequences are not rolled back with the transaction).
      await c.query(`create sequence fault_seq;
        create table fault_limit (n bigint not null); insert into fault_limit values (0);
        create function fault_fn() returns trigger language plpgsql as $$
        begin
          if nextval('fault_seq') <= (select n from fault_limit) then
            raise exception 'injected ${what}' using errcode = '${code}';
          end if;
          return new;
        end $$;
        create trigger fault_redeem before insert on redemption_allocations for each statement execute function fault_fn();`);
      const calls = async () => Number((await c.query('select last_value, is_called from fault_seq')).rows[0].last_value);

      // Two failures, then success: one redemption, counted once.
      await c.query('update fault_limit set n = 2');
      const ok = committed(await store.redeem(redeemInput(rs, 'r-1', cart({ customerId: 'c1', codes: ['ONCE'] }))));
      expect(appliedIds(ok).sort()).toEqual(['flower-10', 'once']);
      expect(await calls()).toBe(3);
      expect(await used('flower-10')).toBe(1);

      // Always failing: refused after MAX_ATTEMPTS (5) attempts, nothing written.
      await c.query('alter sequence fault_seq restart');
      await c.query('update fault_limit set n = 1000');
      const before = await snapshot();
      const err = await store.redeem(redeemInput(rs, 'r-2', cart({ customerId: 'c2', codes: ['ONCE'] }))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/still contended after 5 attempts/);
      expect(await calls()).toBe(5);
      expect(await snapshot()).toBe(before);

      // A void likewise (the error comes after it marked the redemption voided and released the
      // store-wide use): refused after 5 attempts, the redemption still committed, its usage taken.
      await c.query('drop trigger fault_redeem on redemption_allocations');
      await c.query('create trigger fault_void after update on customer_usage for each statement execute function fault_fn()');
      await c.query('alter sequence fault_seq restart');
      const v = { store: 'contract-store', transactionId: 'r-1', reason: null, now: '2026-11-20T17:00:00.000Z', localDate: '2026-11-20' };
      await expect(store.voidRedemption(v)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await calls()).toBe(5);
      expect(await snapshot()).toBe(before);
      await c.query('update fault_limit set n = 0');
      expect((await store.voidRedemption(v))?.status).toBe('voided');
      expect(await used('flower-10')).toBe(0);
    });
  }

  it('connection refused is StoreUnavailableError; the pool recovers when the database is back, without reopening', async () => {
    await fresh();
    const proxy = new TcpProxy(database.url);
    proxies.push(proxy);
    await proxy.up();
    const url = proxy.url(database.url);
    const store = await open(url, { busyTimeoutMs: 2000 });
    committed(await store.redeem(redeemInput(rs, 'before', cart())));

    // Mid-transaction: a redemption waiting on a lock when the connection drops is rolled back.
    const blocker = await database.client();
    await blocker.query('begin');
    await blocker.query('lock table redemption_discounts in share mode');
    const cut = store.redeem(redeemInput(rs, 'cut', cart({ customerId: 'c9', codes: ['ONCE'] })));
    await waitForLockWaits(1);
    const before = await snapshot();
    await proxy.down();
    await expect(cut).rejects.toBeInstanceOf(StoreUnavailableError);
    await blocker.query('rollback');

    // Down: every call is refused quickly.
    const t0 = Date.now();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.redeem(redeemInput(rs, 'down', cart()))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.readUsage('contract-store', ['flower-10'], null)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(
      store.voidRedemption({ store: 'contract-store', transactionId: 'before', reason: null, now: '2026-11-20T17:00:00.000Z', localDate: '2026-11-20' }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - t0).toBeLessThan(5000);
    // Opening a store on a dead port fails the same way.
    await expect(openStore({ url, busyTimeoutMs: 500 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await snapshot()).toBe(before);
    expect(await used('flower-10')).toBe(1);

    // Back: the same store serves again; the cut redemption can be sent again and commits once.
    await proxy.up();
    await store.ping();
    committed(await store.redeem(redeemInput(rs, 'cut', cart({ customerId: 'c9', codes: ['ONCE'] }))));
    expect((await store.redeem(redeemInput(rs, 'cut', cart({ customerId: 'c9', codes: ['ONCE'] })))).kind).toBe('replay');
    expect(await used('flower-10')).toBe(2);
  });

  it('several instances opening one new database migrate it once', async () => {
    await fresh();
    const opened = await Promise.all(Array.from({ length: 4 }, () => open(database.url)));
    expect((await c.query('select name from kysely_migration')).rows.map((r) => r.name)).toEqual(['0001_ledger', '0002_reports', '0006_outbox']);
    for (const s of opened) expect(await s.usageTotals('x')).toEqual([]);
  });
});

describe('PostgreSQL settings (no server needed)', () => {
  it('picks --db, then DISCOUNTS_DB, then DATABASE_URL; DISCOUNTS_DB_POOL (default 10) and DISCOUNTS_DB_BUSY_TIMEOUT_MS (default 5000)', () => {
    const env = { DISCOUNTS_DB: 'postgres://a@h/one', DATABASE_URL: 'postgres://b@h/two' };
    const d = { poolSize: 10, busyTimeoutMs: 5000 };
    expect(resolveStoreSetting('x.db', env)).toEqual({ value: 'x.db', source: '--db', ...d });
    expect(resolveStoreSetting(undefined, env)).toEqual({ value: 'postgres://a@h/one', source: 'DISCOUNTS_DB', ...d });
    expect(resolveStoreSetting(undefined, { ...env, DISCOUNTS_DB: '' })).toEqual({ value: 'postgres://b@h/two', source: 'DATABASE_URL', ...d });
    expect(resolveStoreSetting(undefined, {})).toEqual({ value: null, source: null, ...d });
    expect(resolveStoreSetting(undefined, { DISCOUNTS_DB_POOL: '25', DISCOUNTS_DB_BUSY_TIMEOUT_MS: '30000' })).toMatchObject({ poolSize: 25, busyTimeoutMs: 30000 });
    for (const bad of ['0', '-1', 'ten', '1.5', '100000'])
      expect(() => resolveStoreSetting(undefined, { DISCOUNTS_DB_POOL: bad }), bad).toThrow(StoreConfigError);
    expect(() => resolveStoreSetting(undefined, { DISCOUNTS_DB_BUSY_TIMEOUT_MS: '0' })).toThrow(/DISCOUNTS_DB_BUSY_TIMEOUT_MS must be an integer from 1 to 600000, not '0'/);
  });

  it('never shows a password', () => {
    expect(redactPostgresUrl('postgres://u:s3cret@db.example:5432/ledger?sslmode=require')).toBe('postgres://u:***@db.example:5432/ledger?sslmode=require');
    expect(describeStoreLocation('postgresql://u:p%40ss@h/d')).not.toContain('p%40ss');
    expect(describeStoreLocation('postgres://u@h/d?password=x')).not.toMatch(/password=x/);
    expect(describeStoreLocation('./data/x.db')).toBe('./data/x.db');
  });

  it('classifies PostgreSQL and driver errors', () => {
    const e = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(classifyPostgresError(e('23505'))).toBe('unique');
    expect(classifyPostgresError(e('40001'))).toBe('retry');
    expect(classifyPostgresError(e('40P01'))).toBe('retry');
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '53300', '08006', '55P03', '57014', '25006', '3D000', '28P01'])
      expect(classifyPostgresError(e(code)), code).toBe('unavailable');
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyPostgresError(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(classifyPostgresError(new AggregateError([e('ECONNREFUSED')]))).toBe('unavailable');
    for (const code of ['42P01', '42601', '23502', '22P02']) expect(classifyPostgresError(e(code)), code).toBeNull();
    expect(classifyPostgresError(new TypeError('x is undefined'))).toBeNull();
  });
});
