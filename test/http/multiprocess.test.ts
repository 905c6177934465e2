// Three real `discounts serve` processes on 127.0.0.1 sharing one SQLite file (better-sqlite3 is
// synchronous, so only separate processes can race on the ledger). 200 concurrent redemptions with
// distinct ids plus 40 retries of sent ids (half after the answer, half while the first is in
// flight, each to another process) against a code with usageLimit 50. Then voids, a restart, and a
// kill -9 in the middle of a load. Bounded: a fixed number of requests, every child killed in
// afterAll.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCart, ROOT } from './helpers.js';
import { killAll, startServe, type ServerProcess } from './process.js';

const KEYS = 'pos:mp-pos-key,admin:mp-admin-key';
const AUTH = { 'content-type': 'application/json', authorization: 'Bearer mp-pos-key' };
const STORE = 'green-leaf-la';

let dir: string;
let db: string;
let servers: ServerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'discounts-mp-'));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'fifty.yaml'), 'id: fifty\nname: Two dollars off, 50 times\ntype: fixed\nvalue: 2\ncode: FIFTY\nusageLimit: 50\nstackable: true\n');
  db = join(dir, 'shared.db');
});
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const start = () => startServe(['--rules', join(dir, 'rules'), '--db', db], { DISCOUNTS_API_KEYS: KEYS, DISCOUNTS_LOG_LEVEL: 'warn' });

async function startThree(): Promise<ServerProcess[]> {
  const first = await start(); // migrations run once before the others open the file
  return [first, ...(await Promise.all([start(), start()]))];
}

interface Answer {
  status: number;
  replay: boolean;
  body: { transactionId: string; discountTotal: number; applied: { discountId: string }[]; status: string };
}

const body = (id: string) => JSON.stringify({ transactionId: id, ...demoCart({ codes: ['FIFTY'], customer: { id: `c-${id}` } }) });

/** Sends like a POS: on 503 it waits Retry-After and sends the identical body again (bounded). */
async function redeem(server: ServerProcess, id: string): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${server.url}/v1/redemptions`, { method: 'POST', headers: AUTH, body: body(id) });
    if (res.status === 503 && attempt < 20) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      continue;
    }
    return { status: res.status, replay: res.headers.get('idempotent-replay') === 'true', body: (await res.json()) as Answer['body'] };
  }
}

const usesFifty = (a: Answer) => a.body.applied.some((d) => d.discountId === 'fifty');

function ledger() {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const one = (q: string) => Object.values(conn.prepare(q).get(STORE) as Record<string, number>)[0] ?? 0;
    return {
      used: one(`select coalesce(sum(used), 0) from usage where store = ? and discount_id = 'fifty'`),
      takenByCommitted: one(
        `select count(*) from redemption_discounts d join redemptions r on r.store = d.store and r.transaction_id = d.transaction_id
         where d.store = ? and d.discount_id = 'fifty' and d.took_usage = 1 and r.status = 'committed'`,
      ),
      allocations: one(
        `select coalesce(sum(a.amount), 0) from redemption_allocations a join redemptions r on r.store = a.store and r.transaction_id = a.transaction_id where a.store = ? and r.status = 'committed'`,
      ),
      redemptions: one(`select count(*) from redemptions where store = ?`),
      ids: (conn.prepare(`select transaction_id from redemptions where store = ?`).all(STORE) as { transaction_id: string }[]).map((r) => r.transaction_id),
    };
  } finally {
    conn.close();
  }
}

describe('three processes, one SQLite ledger', () => {
  it(
    'never over-redeems, replays retries, survives voids, a restart and kill -9',
    async () => {
      servers = await startThree();
      const ids = Array.from({ length: 200 }, (_, i) => `mp-${String(i).padStart(3, '0')}`);
      const firsts = new Map<string, Promise<Answer>>();
      const retries: Promise<[string, Answer]>[] = [];
      ids.forEach((id, i) => {
        const p = redeem(servers[i % 3], id);
        firsts.set(id, p);
        if (i < 20) retries.push(p.then(() => redeem(servers[(i + 1) % 3], id)).then((a) => [id, a])); // after the answer
        else if (i < 40) retries.push(redeem(servers[(i + 2) % 3], id).then((a) => [id, a])); // while in flight
      });
      const answers = await Promise.all(ids.map(async (id) => [id, await firsts.get(id)!] as const));
      const retried = await Promise.all(retries);
      expect(retried).toHaveLength(40);

      // Every id: exactly one 201, the other answer a replay of the same record.
      const all = [...answers, ...retried];
      for (const [, a] of all) expect([200, 201], JSON.stringify(a.body)).toContain(a.status);
      const committed = new Map<string, Answer>();
      for (const [id, a] of all) if (a.status === 201) {
        expect(committed.has(id), `${id} committed twice`).toBe(false);
        committed.set(id, a);
      }
      expect(committed.size).toBe(200);
      for (const [id, a] of all) if (a.status === 200) {
        expect(a.replay).toBe(true);
        expect(a.body).toEqual(committed.get(id)!.body);
      }
      const withFifty = [...committed.values()].filter(usesFifty);
      expect(withFifty).toHaveLength(50);
      let l = ledger();
      expect(l).toMatchObject({ used: 50, takenByCommitted: 50, redemptions: 200 });
      const responded = [...committed.values()].reduce((s, a) => s + a.body.discountTotal, 0);
      expect(l.allocations).toBe(responded);
      const view = (await (await fetch(`${servers[2].url}/v1/discounts/fifty`, { headers: AUTH })).json()) as { used: number; remaining: number; state: string };
      expect(view).toMatchObject({ used: 50, remaining: 0, state: 'exhausted' });

      // Voids (on every process) restore the count, once each.
      const voided = withFifty.slice(0, 12).map((a) => a.body.transactionId);
      const voids = await Promise.all(
        [...voided, ...voided.slice(0, 4)].map((id, i) => fetch(`${servers[i % 3].url}/v1/redemptions/${id}/void`, { method: 'POST', headers: AUTH, body: '{"reason":"test"}' })),
      );
      for (const v of voids) expect(v.status).toBe(200);
      l = ledger();
      expect(l).toMatchObject({ used: 38, takenByCommitted: 38 });
      const refill = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(servers[i % 3], `mp-refill-${i}`)));
      expect(refill.filter((a) => a.status === 201)).toHaveLength(20);
      expect(refill.filter(usesFifty)).toHaveLength(12);
      expect(ledger()).toMatchObject({ used: 50, takenByCommitted: 50 });

      // A graceful restart keeps every count; old ids still replay.
      expect(await Promise.all(servers.map((s) => s.stop()))).toEqual([0, 0, 0]);
      servers = await startThree();
      const again = await (await fetch(`${servers[1].url}/v1/discounts/fifty`, { headers: AUTH })).json();
      expect(again).toMatchObject({ used: 50, remaining: 0 });
      const replay = await redeem(servers[0], 'mp-007');
      expect({ status: replay.status, replay: replay.replay }).toEqual({ status: 200, replay: true });

      // kill -9 one process in the middle of a load: every 201 is in the ledger afterwards, and the
      // usage count equals what the committed redemptions took.
      await Promise.all(withFifty.slice(12, 42).map((a, i) => fetch(`${servers[i % 3].url}/v1/redemptions/${a.body.transactionId}/void`, { method: 'POST', headers: AUTH })));
      expect(ledger().used).toBe(20);
      const got201: Answer[] = [];
      const load = Array.from({ length: 90 }, (_, i) =>
        redeem(servers[i % 3], `mp-kill-${i}`).then(
          (a) => {
            if (a.status === 201) got201.push(a);
          },
          () => undefined, // the killed process's connections fail
        ),
      );
      while (got201.length < 15) await new Promise((r) => setTimeout(r, 2));
      servers[1].proc.kill('SIGKILL');
      await Promise.all(load);
      expect(await servers[1].exited).toBe('SIGKILL');
      servers[1] = await start();
      l = ledger();
      for (const a of got201) expect(l.ids).toContain(a.body.transactionId);
      expect(l.used).toBe(l.takenByCommitted);
      expect(l.used).toBeLessThanOrEqual(50);
      for (const a of got201) {
        const stored = await (await fetch(`${servers[1].url}/v1/redemptions/${a.body.transactionId}`, { headers: AUTH })).json();
        expect(stored).toEqual(a.body);
      }
      await Promise.all(servers.map((s) => s.stop()));
    },
    150_000,
  );
});
