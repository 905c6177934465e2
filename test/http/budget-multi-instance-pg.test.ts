// A budget under concurrency on PostgreSQL: two `discounts serve` processes on 127.0.0.1 sharing
// one fresh database (dropped afterwards), 200 concurrent redemptions spread over both (plus 40
// retries of sent ids to the other instance) of a $2-off code whose budget is $97.01; voids through
// either instance; what they gave back is taken again. The ledger's given never exceeds the budget
// and equals the sum of the amounts the committed redemptions took. Skipped without
// DISCOUNTS_TEST_PG_URL (a failure under CI=true). Children are killed in afterAll; every request
// has a timeout.

import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';
import { killAll, startServe, type ServerProcess } from './process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STORE = 'green-leaf-la';
const BUDGET = 9701;
const RULE = 'id: vendor-pot\nname: $2 off with POT, $97.01 in all\ntype: fixed\nvalue: 2\ncode: POT\nbudget: 97.01\nstackable: true\n';

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A POST/GET with a timeout; on 503 it waits and sends the identical body again (bounded), like a POS. */
async function call(base: string, path: string, body?: unknown): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status === 503 && attempt < 20) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      continue;
    }
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

const sale = (transactionId: string) => ({
  transactionId,
  codes: ['POT'],
  lines: [{ id: 'l1', productId: 'grinder', category: 'accessories', unitPrice: 2500, quantity: 1, cannabis: false }],
});
const potAmount = (record: { applied: { discountId: string; amount: number }[] }) => record.applied.find((d) => d.discountId === 'vendor-pot')?.amount ?? 0;

describePg('a budget across two service instances on one PostgreSQL database', () => {
  let dir: string;
  let rulesDir: string;
  let database: TestDatabase | null = null;
  let client: pg.Client | null = null;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
    dir = mkdtempSync(join(tmpdir(), 'discounts-budget-pg-'));
    rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir);
    cpSync(join(ROOT, 'rules', 'store.yaml'), join(rulesDir, 'store.yaml'));
    writeFileSync(join(rulesDir, 'vendor-pot.yaml'), RULE);
  });

  afterAll(async () => {
    killAll();
    await client?.end();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ledger() {
    const one = async (text: string) => Number(Object.values((await client!.query(text, [STORE])).rows[0] ?? {})[0] ?? 0);
    const committed = `from redemption_discounts d join redemptions r using (store, transaction_id) where d.store = $1 and d.discount_id = 'vendor-pot' and r.status = 'committed'`;
    return {
      given: await one(`select coalesce(sum(given), 0) from usage where store = $1 and discount_id = 'vendor-pot'`),
      took: await one(`select coalesce(sum(d.took_budget), 0) ${committed}`),
      applied: await one(`select coalesce(sum(d.amount), 0) ${committed}`),
      redemptions: await one(`select count(*) from redemptions where store = $1`),
    };
  }

  it('200 concurrent redemptions over two instances: exactly the budget given, given = the stored applied amounts; voids give back exactly', async () => {
    database = await createTestDatabase();
    client = await database.client();
    const instances: ServerProcess[] = await Promise.all(
      [0, 1].map(() => startServe(['--rules', rulesDir, '--db', database!.url], { DISCOUNTS_LOG_LEVEL: 'warn', DISCOUNTS_DB_BUSY_TIMEOUT_MS: '30000' }, 60_000)),
    );
    const ids = Array.from({ length: 200 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
    const sends = ids.map((id, i) => call(instances[i % 2].url, '/v1/redemptions', sale(id)));
    const retries = ids.slice(0, 40).map((id, i) => new Promise((r) => setTimeout(r, i % 10)).then(() => call(instances[(i + 1) % 2].url, '/v1/redemptions', sale(id))));
    const replies = await Promise.all([...sends, ...retries]);
    expect(replies.filter((r) => r.status !== 200 && r.status !== 201).map((r) => r.body)).toEqual([]);
    const records = new Map<string, { applied: { discountId: string; amount: number }[] }>();
    for (const r of replies) if (r.status === 201) {
      expect(records.has(r.body.transactionId), r.body.transactionId).toBe(false);
      records.set(r.body.transactionId, r.body);
    }
    expect(records.size).toBe(200);
    for (const r of replies.filter((x) => x.status === 200)) expect(JSON.stringify(r.body)).toBe(JSON.stringify(records.get(r.body.transactionId)));

    const amounts = [...records.values()].map(potAmount);
    expect(amounts.reduce((s, x) => s + x, 0)).toBe(BUDGET);
    expect(amounts.filter((x) => x === 200)).toHaveLength(48);
    expect(amounts.filter((x) => x !== 200 && x !== 0)).toEqual([101]);
    expect(await ledger()).toEqual({ given: BUDGET, took: BUDGET, applied: BUDGET, redemptions: 200 });
    const view = await call(instances[1].url, '/v1/discounts/vendor-pot');
    expect(view.body).toMatchObject({ budget: BUDGET, budgetRemaining: 0, state: 'exhausted' });

    // Voids through either instance (each sent to both) give back exactly, once.
    const voided = [...records.entries()].filter(([, r]) => potAmount(r) > 0).slice(0, 12);
    const freed = voided.reduce((s, [, r]) => s + potAmount(r), 0);
    const voids = await Promise.all(voided.flatMap(([id], k) => [0, 1].map((j) => call(instances[(k + j) % 2].url, `/v1/redemptions/${id}/void`, { reason: 'returned' }))));
    expect(voids.map((v) => v.status)).toEqual(Array(24).fill(200));
    expect(await ledger()).toMatchObject({ given: BUDGET - freed, took: BUDGET - freed, applied: BUDGET - freed });

    // 40 more concurrent sales take exactly what was given back.
    const more = await Promise.all(Array.from({ length: 40 }, (_, k) => call(instances[k % 2].url, '/v1/redemptions', sale(`more-${k}`))));
    expect(more.map((m) => m.status)).toEqual(Array(40).fill(201));
    expect(more.map((m) => potAmount(m.body)).reduce((s, x) => s + x, 0)).toBe(freed);
    expect(await ledger()).toMatchObject({ given: BUDGET, took: BUDGET, applied: BUDGET });
    for (const inst of instances) await inst.stop();
  }, 180_000);
});
