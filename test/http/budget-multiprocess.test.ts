// A budget under concurrency on SQLite: three real `discounts serve` processes on 127.0.0.1 sharing
// one ledger file, 150 concurrent redemptions (distinct ids, 30 retries of sent ids to another
// process) of a $2-off code whose budget is $97.01: 48 sales get 2.00, one gets the last 1.01, the
// rest BUDGET_EXHAUSTED. The ledger's given never exceeds the budget and always equals the sum of
// the amounts the committed redemptions took; voids give back exactly, and what they gave back is
// taken again exactly. Bounded: a fixed number of requests; every child is killed in afterAll.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { killAll, startServe, type ServerProcess } from './process.js';

const KEYS = 'pos:bmp-pos-key';
const AUTH = { 'content-type': 'application/json', authorization: 'Bearer bmp-pos-key' };
const STORE = 'green-leaf-la';
const BUDGET = 9701;
const RULE = 'id: vendor-pot\nname: $2 off with POT, $97.01 in all\ntype: fixed\nvalue: 2\ncode: POT\nbudget: 97.01\nstackable: true\n';

let dir: string;
let db: string;
let servers: ServerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'discounts-bmp-'));
  mkdirSync(join(dir, 'rules'));
  cpSync(join(ROOT, 'rules', 'store.yaml'), join(dir, 'rules', 'store.yaml'));
  writeFileSync(join(dir, 'rules', 'vendor-pot.yaml'), RULE);
  db = join(dir, 'shared.db');
});
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const start = () => startServe(['--rules', join(dir, 'rules'), '--db', db], { DISCOUNTS_API_KEYS: KEYS, DISCOUNTS_LOG_LEVEL: 'warn' }, 60_000);

interface Answer {
  status: number;
  body: { transactionId: string; applied: { discountId: string; amount: number }[]; rejected: { discountId: string; reason: string }[] };
}

const body = (id: string) =>
  JSON.stringify({ transactionId: id, codes: ['POT'], lines: [{ id: 'l1', productId: 'grinder', category: 'accessories', unitPrice: 2500, quantity: 1, cannabis: false }] });

/** Sends like a POS: on 503 it waits and sends the identical body again (bounded). */
async function redeem(server: ServerProcess, id: string): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${server.url}/v1/redemptions`, { method: 'POST', headers: AUTH, body: body(id), signal: AbortSignal.timeout(30_000) });
    if (res.status === 503 && attempt < 20) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      continue;
    }
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }
}

const potAmount = (a: Answer) => a.body.applied.find((d) => d.discountId === 'vendor-pot')?.amount ?? 0;

/** given on the usage row, and what the committed redemptions' rows say they took and were given. */
function ledger() {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const one = (q: string) => Number(Object.values(conn.prepare(q).get(STORE) as Record<string, number>)[0] ?? 0);
    const committed = `join redemptions r on r.store = d.store and r.transaction_id = d.transaction_id where d.store = ? and d.discount_id = 'vendor-pot' and r.status = 'committed'`;
    return {
      given: one(`select coalesce(sum(given), 0) from usage where store = ? and discount_id = 'vendor-pot'`),
      took: one(`select coalesce(sum(d.took_budget), 0) from redemption_discounts d ${committed}`),
      applied: one(`select coalesce(sum(d.amount), 0) from redemption_discounts d ${committed}`),
      redemptions: one(`select count(*) from redemptions where store = ?`),
    };
  } finally {
    conn.close();
  }
}

describe('a budget across three processes on one SQLite ledger', () => {
  it(
    'never gives more than the budget; given equals the sum of the stored applied amounts; voids give back exactly',
    async () => {
      const first = await start(); // migrations run once before the others open the file
      servers = [first, ...(await Promise.all([start(), start()]))];
      const ids = Array.from({ length: 150 }, (_, i) => `b-${String(i).padStart(3, '0')}`);
      const sends = ids.map((id, i) => redeem(servers[i % 3], id));
      const retries = ids.slice(0, 30).map((id, i) => redeem(servers[(i + 1) % 3], id));
      const answers = await Promise.all(sends);
      const again = await Promise.all(retries);
      for (const a of [...answers, ...again]) expect([200, 201], JSON.stringify(a.body)).toContain(a.status);
      expect(answers.filter((a) => a.status === 201).length + again.filter((a) => a.status === 201).length).toBe(150);
      // A retry answers the committed record (a replay takes nothing again).
      const byId = new Map<string, Answer>();
      for (const a of [...answers, ...again]) if (a.status === 201) byId.set(a.body.transactionId, a);
      for (const a of again) expect(a.body).toEqual(byId.get(a.body.transactionId)!.body);

      const amounts = [...byId.values()].map(potAmount);
      expect(amounts.reduce((s, x) => s + x, 0)).toBe(BUDGET);
      expect(amounts.filter((x) => x === 200)).toHaveLength(48);
      expect(amounts.filter((x) => x !== 200 && x !== 0)).toEqual([101]);
      for (const a of [...byId.values()].filter((x) => potAmount(x) === 0))
        expect(a.body.rejected).toContainEqual(expect.objectContaining({ discountId: 'vendor-pot', reason: 'BUDGET_EXHAUSTED' }));
      expect(ledger()).toEqual({ given: BUDGET, took: BUDGET, applied: BUDGET, redemptions: 150 });
      const view = await (await fetch(`${servers[2].url}/v1/discounts/vendor-pot`, { headers: AUTH })).json();
      expect(view).toMatchObject({ budget: BUDGET, budgetRemaining: 0, state: 'exhausted' });

      // Voids on every process (each sent twice) give back exactly what they took, once.
      const full = [...byId.values()].filter((a) => potAmount(a) === 200).slice(0, 10);
      const partial = [...byId.values()].find((a) => potAmount(a) === 101)!;
      const voidIds = [...full, partial].map((a) => a.body.transactionId);
      const voids = await Promise.all(
        [...voidIds, ...voidIds].map((id, i) => fetch(`${servers[i % 3].url}/v1/redemptions/${id}/void`, { method: 'POST', headers: AUTH, body: '{}' })),
      );
      for (const v of voids) expect(v.status).toBe(200);
      const freed = 10 * 200 + 101;
      expect(ledger()).toMatchObject({ given: BUDGET - freed, took: BUDGET - freed, applied: BUDGET - freed });

      // 40 more concurrent sales take exactly what was given back: 10 x 2.00, then the last 1.01.
      const refill = await Promise.all(Array.from({ length: 40 }, (_, i) => redeem(servers[i % 3], `refill-${i}`)));
      expect(refill.map((a) => a.status)).toEqual(Array(40).fill(201));
      const more = refill.map(potAmount);
      expect(more.reduce((s, x) => s + x, 0)).toBe(freed);
      expect(more.filter((x) => x > 0).sort((a, b) => b - a)).toEqual([...Array(10).fill(200), 101]);
      expect(ledger()).toMatchObject({ given: BUDGET, took: BUDGET, applied: BUDGET });
      expect(await Promise.all(servers.map((s) => s.stop()))).toEqual([0, 0, 0]);
    },
    150_000,
  );
});
