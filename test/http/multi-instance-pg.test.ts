// Two `discounts serve` processes on 127.0.0.1 sharing one PostgreSQL database (a fresh one per
// part, dropped afterwards): 400 concurrent redemptions spread over both (320 distinct transaction
// ids plus 80 retries of sent ids, half of them to the other instance) against a discount with
// usageLimit 50 and a code with perCustomerLimit 1; voids through either instance; the database
// taken away and given back (a TCP proxy between the instances and the server is cut and
// restored); one instance killed with SIGKILL mid-load. Skipped without DISCOUNTS_TEST_PG_URL (a
// failure under CI=true). Children are killed in afterAll; every request has a timeout.

import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePg, TcpProxy, type TestDatabase } from '../store/pg-helpers.js';
import { killAll, startServe, type ServerProcess } from './process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STORE = 'green-leaf-la';
const REQUEST_TIMEOUT_MS = 20_000;

const CAPPED = `id: capped
name: $1 off, 50 uses in all
type: fixed
value: 1
usageLimit: 50
stackable: true
`;
const ONCE = `id: once-each
name: $2 off once per customer
type: fixed
value: 2
code: ONCE
perCustomerLimit: 1
stackable: true
`;

/** `discounts serve` on a free loopback port, through the h/http process helpers (a minimal environment: PATH plus these). */
function startInstance(rulesDir: string, dbUrl: string): Promise<ServerProcess> {
  // A generous busy timeout: this machine's 2 cores run both instances, PostgreSQL and the load, so
  // a request can wait seconds for a pooled connection; the test is about correctness, not latency.
  return startServe(['--rules', rulesDir, '--db', dbUrl], { DISCOUNTS_LOG_LEVEL: 'warn', DISCOUNTS_DB_BUSY_TIMEOUT_MS: '30000' }, 30_000);
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  replay: boolean;
}

/** A POST/GET with a timeout; a connection failure resolves to status 0. */
async function call(base: string, path: string, body?: unknown): Promise<Reply> {
  try {
    const res = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, replay: res.headers.get('idempotent-replay') === 'true' };
  } catch {
    return { status: 0, body: null, replay: false };
  }
}

function sale(transactionId: string, customer: string): Record<string, unknown> {
  return {
    transactionId,
    customer: { id: customer },
    codes: ['ONCE'],
    lines: [{ id: 'l1', productId: 'blue-dream-3.5g', category: 'flower', unitPrice: 3000, quantity: 1 }],
  };
}

const applied = (record: { applied: { discountId: string }[] }) => record.applied.map((a) => a.discountId);

describePg('several service instances on one PostgreSQL database', () => {
  let dir: string;
  let rulesDir: string;
  const databases: TestDatabase[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
    dir = mkdtempSync(join(tmpdir(), 'discounts-multi-pg-'));
    rulesDir = join(dir, 'rules');
    cpSync(join(ROOT, 'rules', 'store.yaml'), join(rulesDir, 'store.yaml'));
    writeFileSync(join(rulesDir, 'capped.yaml'), CAPPED);
    writeFileSync(join(rulesDir, 'once-each.yaml'), ONCE);
  });

  afterAll(async () => {
    killAll();
    for (const p of proxies) await p.down();
    for (const d of databases) await d.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function database(): Promise<{ db: TestDatabase; client: pg.Client }> {
    const db = await createTestDatabase();
    databases.push(db);
    return { db, client: await db.client() };
  }

  async function counts(client: pg.Client) {
    const q = async (text: string) => (await client.query(text)).rows;
    const usage = await q(`select discount_id, used from usage where store = '${STORE}' order by discount_id`);
    const took = await q(`select discount_id, count(*)::int as n from redemption_discounts d join redemptions r using (store, transaction_id)
      where d.took_usage = 1 and r.status = 'committed' group by discount_id order by discount_id`);
    const perCustomer = await q(`select customer_id, used from customer_usage where discount_id = 'once-each' order by customer_id`);
    const tookCustomer = await q(`select r.customer_id, count(*)::int as n from redemption_discounts d join redemptions r using (store, transaction_id)
      where d.took_customer_usage = 1 and r.status = 'committed' group by r.customer_id order by r.customer_id`);
    const redemptions = await q(`select transaction_id, status, response_json from redemptions`);
    return {
      used: Object.fromEntries(usage.map((r) => [r.discount_id, Number(r.used)])) as Record<string, number>,
      took: Object.fromEntries(took.map((r) => [r.discount_id, r.n])) as Record<string, number>,
      perCustomer: Object.fromEntries(perCustomer.map((r) => [r.customer_id, Number(r.used)])) as Record<string, number>,
      tookCustomer: Object.fromEntries(tookCustomer.map((r) => [r.customer_id, r.n])) as Record<string, number>,
      redemptions: new Map(redemptions.map((r) => [r.transaction_id as string, r as { status: string; response_json: string }])),
    };
  }

  /** The counters agree with the ledger rows: nothing counted twice or lost. */
  function expectConsistent(c: Awaited<ReturnType<typeof counts>>): void {
    expect(c.used.capped ?? 0).toBe(c.took.capped ?? 0);
    for (const [customer, n] of Object.entries(c.perCustomer)) expect(n, customer).toBe(c.tookCustomer[customer] ?? 0);
    for (const [customer, n] of Object.entries(c.tookCustomer)) expect(c.perCustomer[customer], customer).toBe(n);
  }

  let A: ServerProcess;
  let B: ServerProcess;
  let client: pg.Client;
  let proxy: TcpProxy;
  /** A committed (not voided) redemption of the first part. */
  let someCommitted = '';

  it('400 concurrent redemptions over two instances: exactly 50 uses, one per customer, retries replayed, voids through either instance', async () => {
    const d = await database();
    client = d.client;
    proxy = new TcpProxy(d.db.url);
    proxies.push(proxy);
    await proxy.up();
    const url = proxy.url(d.db.url);
    [A, B] = await Promise.all([startInstance(rulesDir, url), startInstance(rulesDir, url)]);
    const instances = [A, B];

    const originals = Array.from({ length: 320 }, (_, i) => ({ i, body: sale(`t-${String(i).padStart(3, '0')}`, `c-${String(i % 40).padStart(2, '0')}`) }));
    const sends: Promise<{ i: number; retry: boolean; reply: Reply }>[] = [];
    for (const { i, body } of originals) sends.push(call(instances[i % 2].url, '/v1/redemptions', body).then((reply) => ({ i, retry: false, reply })));
    // 80 retries of sent ids, while the first sends are in flight: half to the same instance, half to the other.
    for (let k = 0; k < 80; k++) {
      const i = k * 4;
      const target = instances[(i + (k % 2)) % 2];
      sends.push(
        new Promise((r) => setTimeout(r, k % 10)).then(() => call(target.url, '/v1/redemptions', originals[i].body).then((reply) => ({ i, retry: true, reply }))),
      );
    }
    const replies = await Promise.all(sends);

    const byId = new Map<number, Reply[]>();
    for (const { i, reply } of replies) byId.set(i, [...(byId.get(i) ?? []), reply]);
    const statuses = replies.map((r) => r.reply.status);
    expect(statuses.filter((s) => s !== 200 && s !== 201), JSON.stringify(replies.find((r) => r.reply.status !== 200 && r.reply.status !== 201)?.reply.body)).toEqual([]);
    for (const [i, rs] of byId) {
      // Exactly one commit per transaction id; every other answer replays it byte for byte.
      const created = rs.filter((r) => r.status === 201);
      expect(created, `t-${i}`).toHaveLength(1);
      for (const r of rs.filter((x) => x.status === 200)) {
        expect(r.replay).toBe(true);
        expect(JSON.stringify(r.body)).toBe(JSON.stringify(created[0].body));
      }
    }
    const records = [...byId.entries()].map(([i, rs]) => ({ i, record: rs.find((r) => r.status === 201)!.body }));
    expect(records).toHaveLength(320);
    expect(replies.filter((r) => r.retry && r.reply.status === 200).length).toBeGreaterThan(0);

    const c = await counts(client);
    expect(c.redemptions.size).toBe(320);
    expect(records.filter((r) => applied(r.record).includes('capped'))).toHaveLength(50);
    expect(c.used.capped).toBe(50);
    for (let k = 0; k < 40; k++) {
      const customer = `c-${String(k).padStart(2, '0')}`;
      expect(records.filter((r) => r.i % 40 === k && applied(r.record).includes('once-each')), customer).toHaveLength(1);
      expect(c.perCustomer[customer]).toBe(1);
    }
    expectConsistent(c);
    // What each instance answered is what the ledger holds.
    for (const { record } of records) {
      const row = c.redemptions.get(record.transactionId)!;
      const { transactionId: _t, status: _s, committedAt: _c, events: _e, ...response } = record;
      expect(JSON.parse(row.response_json)).toEqual(response);
    }

    // Voids through either instance restore the counts; a second void elsewhere returns the same record.
    const tookCapped = records.filter((r) => applied(r.record).includes('capped')).slice(0, 10);
    const voids = await Promise.all(tookCapped.map((r, k) => call(instances[k % 2].url, `/v1/redemptions/${r.record.transactionId}/void`, { reason: 'returned' })));
    expect(voids.map((v) => v.status)).toEqual(Array(10).fill(200));
    const again = await Promise.all(tookCapped.slice(0, 3).map((r, k) => call(instances[(k + 1) % 2].url, `/v1/redemptions/${r.record.transactionId}/void`, { reason: 'again' })));
    for (const [k, v] of again.entries()) expect(JSON.stringify(v.body)).toBe(JSON.stringify(voids[k].body));
    const afterVoid = await counts(client);
    expect(afterVoid.used.capped).toBe(40);
    expectConsistent(afterVoid);
    const freedCustomers = [...new Set(tookCapped.filter((r) => applied(r.record).includes('once-each')).map((r) => `c-${String(r.i % 40).padStart(2, '0')}`))];
    for (const customer of freedCustomers) expect(afterVoid.perCustomer[customer]).toBe(0);

    // The released uses are taken again, exactly: 10 of the capped discount, one code use per freed customer.
    const customers = freedCustomers.length ? freedCustomers : ['c-new'];
    const more = await Promise.all(
      Array.from({ length: 30 }, (_, k) => call(instances[k % 2].url, '/v1/redemptions', sale(`more-${k}`, customers[k % customers.length]))),
    );
    expect(more.map((m) => m.status)).toEqual(Array(30).fill(201));
    expect(more.filter((m) => applied(m.body).includes('capped'))).toHaveLength(10);
    for (const [j, customer] of customers.entries())
      expect(more.filter((m, k) => k % customers.length === j && applied(m.body).includes('once-each')), customer).toHaveLength(1);
    const final = await counts(client);
    expect(final.used.capped).toBe(50);
    for (const customer of customers) expect(final.perCustomer[customer]).toBe(1);
    expectConsistent(final);
    someCommitted = records.find((r) => !tookCapped.includes(r))!.record.transactionId;
  }, 180_000);

  it('database down: /readyz says so, evaluate answers with limitsChecked false, redemptions and voids 503 with nothing written; back up without a restart', async () => {
    expect(A && B, 'the first test started the instances').toBeTruthy();
    const before = await counts(client);
    const snapshot = JSON.stringify([before.used, before.perCustomer, [...before.redemptions.entries()].sort()]);
    for (const inst of [A, B]) expect((await call(inst.url, '/readyz')).body.ledger).toBe('up');

    // Cut the database while redemptions are in flight: each one commits (201, in the ledger) or is refused (503).
    const inFlight = Array.from({ length: 40 }, (_, k) => call([A, B][k % 2].url, '/v1/redemptions', sale(`cut-${k}`, `cut-${k}`)));
    await new Promise((r) => setTimeout(r, 15));
    await proxy.down();
    const cut = await Promise.all(inFlight);
    expect(cut.filter((r) => r.status !== 201 && r.status !== 503)).toEqual([]);
    for (const r of cut.filter((x) => x.status === 503)) expect(r.body.error.code).toBe('unavailable');

    for (const inst of [A, B]) {
      const ready = await call(inst.url, '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.ledger).toBe('down');
      expect(typeof ready.body.rulesetVersion).toBe('string');
      const { transactionId: _t, ...cart } = sale('x', 'c-00');
      const evaluation = await call(inst.url, '/v1/evaluate', cart);
      expect(evaluation.status).toBe(200);
      expect(evaluation.body.limitsChecked).toBe(false);
      const redeem = await call(inst.url, '/v1/redemptions', sale(`down-${inst.url.split(':').pop()}`, 'c-down'));
      expect(redeem.status).toBe(503);
      expect(redeem.body.error.code).toBe('unavailable');
      const voided = await call(inst.url, `/v1/redemptions/${someCommitted}/void`, {});
      expect(voided.status).toBe(503);
      expect(voided.body.error.code).toBe('unavailable');
    }
    // Both instances agree on the rules.
    expect((await call(A.url, '/readyz')).body.rulesetVersion).toBe((await call(B.url, '/readyz')).body.rulesetVersion);

    await proxy.up();
    const during = await counts(client);
    const committedCut = cut.filter((r) => r.status === 201).map((r) => r.body.transactionId as string);
    for (const id of committedCut) expect(during.redemptions.has(id), id).toBe(true);
    expect(during.redemptions.size).toBe(before.redemptions.size + committedCut.length);
    expect([...during.redemptions.keys()].filter((id) => id.startsWith('down-'))).toEqual([]);
    expectConsistent(during);
    if (committedCut.length === 0) expect(JSON.stringify([during.used, during.perCustomer, [...during.redemptions.entries()].sort()])).toBe(snapshot);

    // Back: the same processes serve again (the pools reconnect on demand).
    for (const inst of [A, B]) {
      expect((await call(inst.url, '/readyz')).body.ledger).toBe('up');
      const { transactionId: _t, ...cart } = sale('x', 'c-00');
      expect((await call(inst.url, '/v1/evaluate', cart)).body.limitsChecked).toBeUndefined();
      const redeem = await call(inst.url, '/v1/redemptions', sale(`back-${inst.url.split(':').pop()}`, 'c-back'));
      expect(redeem.status).toBe(201);
    }
    // A refused sale sent again commits once.
    const refused = cut.findIndex((r) => r.status === 503);
    if (refused >= 0) {
      const again = await call(B.url, '/v1/redemptions', sale(`cut-${refused}`, `cut-${refused}`));
      expect(again.status).toBe(201);
    }
    expectConsistent(await counts(client));
  }, 120_000);

  it('one instance killed (SIGKILL) mid-load: every 201 is in the ledger, nothing counted twice, resends replay', async () => {
    const d = await database();
    const own = d.client;
    const [A2, B2] = await Promise.all([startInstance(rulesDir, d.db.url), startInstance(rulesDir, d.db.url)]);
    const instances = [A2, B2];
    const bodies = Array.from({ length: 300 }, (_, i) => sale(`k-${String(i).padStart(3, '0')}`, `k-${String(i % 30).padStart(2, '0')}`));
    let answered = 0;
    let killed: Promise<unknown> | null = null;
    const sends = bodies.map((body, i) =>
      call(instances[i % 2].url, '/v1/redemptions', body).then((reply) => {
        if (++answered === 60) killed = B2.stop('SIGKILL');
        return { i, reply };
      }),
    );
    // Retries of sent ids to the other instance while the load runs.
    const retries = Array.from({ length: 60 }, (_, k) =>
      new Promise((r) => setTimeout(r, 2 * k)).then(() => call(instances[(k * 5 + 1) % 2].url, '/v1/redemptions', bodies[k * 5]).then((reply) => ({ i: k * 5, reply }))),
    );
    const replies = await Promise.all([...sends, ...retries]);
    await killed;
    expect(await B2.exited).toBe('SIGKILL');
    const lost = replies.filter((r) => r.reply.status === 0);
    expect(lost.length, 'some requests to the killed instance got no answer').toBeGreaterThan(0);
    expect(replies.filter((r) => ![0, 200, 201, 503].includes(r.reply.status))).toEqual([]);

    const c = await counts(own);
    const created = replies.filter((r) => r.reply.status === 201);
    for (const { reply } of created) {
      const row = c.redemptions.get(reply.body.transactionId);
      expect(row, reply.body.transactionId).toBeDefined();
      const { transactionId: _t, status: _s, committedAt: _c, events: _e, ...response } = reply.body;
      expect(JSON.parse(row!.response_json)).toEqual(response);
    }
    expect(new Set(created.map((r) => r.reply.body.transactionId)).size).toBe(created.length);
    expect(c.used.capped).toBeLessThanOrEqual(50);
    expectConsistent(c);

    // Every sale is sent again to the survivor: each is committed exactly once in the end.
    const resent = await Promise.all(bodies.map((body) => call(A2.url, '/v1/redemptions', body)));
    expect(resent.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
    for (const { i, reply } of created) {
      const r = resent[i];
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body)).toBe(JSON.stringify(reply.body));
    }
    const final = await counts(own);
    expect(final.redemptions.size).toBe(300);
    expect(final.used.capped).toBe(50);
    for (let k = 0; k < 30; k++) expect(final.perCustomer[`k-${String(k).padStart(2, '0')}`]).toBe(1);
    expectConsistent(final);
    await A2.stop('SIGKILL');
  }, 180_000);
});
