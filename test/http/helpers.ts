// Shared set-up for the HTTP tests: a temporary rules directory (the demo rules plus extras), a
// real SQLite ledger in a temporary file, a settable clock, and the app built by createService.
// No mocks: the only wrapper (FaultyStore) forwards to the real store and throws
// StoreUnavailableError on the calls a test switches off.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createService, type Service } from '../../src/http/app.js';
import type { ApiKey } from '../../src/http/auth.js';
import type { WebhookSubscription } from '../../src/events/types.js';
import { memoryLogger } from '../../src/http/logger.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';
import { apiValidators, type SchemaName } from '../../src/http/schemas.js';
import { openStore } from '../../src/store/open.js';
import { StoreUnavailableError, type LedgerStore } from '../../src/store/types.js';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Friday 2026-11-20 16:30 in Los Angeles (the demo cart's `at`): happy hour. */
export const FRIDAY_HAPPY_HOUR = Date.parse('2026-11-20T16:30:00-08:00');

export const KEYS: ApiKey[] = [
  { scope: 'pos', key: 'pos-key-1' },
  { scope: 'editor', key: 'editor-key-1' },
  { scope: 'admin', key: 'admin-key-1' },
];
export const POS = { Authorization: 'Bearer pos-key-1' };
export const EDITOR = { Authorization: 'Bearer editor-key-1' };
export const ADMIN = { Authorization: 'Bearer admin-key-1' };

/** A $1-off code with 2 uses in total and 1 per customer. */
export const LIMITED_RULE = `id: limited
name: One dollar off, twice
type: fixed
value: 1
code: LIMITED
usageLimit: 2
perCustomerLimit: 1
stackable: true
`;

type StoreMethod = 'readUsage' | 'usageTotals' | 'redeem' | 'findRequest' | 'voidRedemption' | 'getRedemption' | 'ping' | 'discountReport';

/** Forwards to a real store; the methods in `failing` throw StoreUnavailableError instead. */
export class FaultyStore implements LedgerStore {
  readonly failing = new Set<StoreMethod>();
  /** Methods that throw a plain Error (a bug, not an outage). */
  readonly crashing = new Set<StoreMethod>();
  constructor(readonly inner: LedgerStore) {}
  get dialect() {
    return this.inner.dialect;
  }
  get outbox() {
    return this.inner.outbox;
  }
  #check(m: StoreMethod) {
    if (this.failing.has(m)) throw new StoreUnavailableError(`injected fault: ${m}`);
    if (this.crashing.has(m)) throw new Error(`injected bug: ${m}`);
  }
  migrate() {
    return this.inner.migrate();
  }
  async readUsage(...a: Parameters<LedgerStore['readUsage']>) {
    this.#check('readUsage');
    return this.inner.readUsage(...a);
  }
  async usageTotals(...a: Parameters<LedgerStore['usageTotals']>) {
    this.#check('usageTotals');
    return this.inner.usageTotals(...a);
  }
  async redeem(...a: Parameters<LedgerStore['redeem']>) {
    this.#check('redeem');
    return this.inner.redeem(...a);
  }
  async findRequest(...a: Parameters<LedgerStore['findRequest']>) {
    this.#check('findRequest');
    return this.inner.findRequest(...a);
  }
  async voidRedemption(...a: Parameters<LedgerStore['voidRedemption']>) {
    this.#check('voidRedemption');
    return this.inner.voidRedemption(...a);
  }
  async getRedemption(...a: Parameters<LedgerStore['getRedemption']>) {
    this.#check('getRedemption');
    return this.inner.getRedemption(...a);
  }
  abuse() {
    return this.inner.abuse();
  }
  cleanup() {
    return this.inner.cleanup();
  }
  replayPages(...a: Parameters<LedgerStore['replayPages']>) {
    return this.inner.replayPages(...a);
  }
  replayStartUsage(...a: Parameters<LedgerStore['replayStartUsage']>) {
    return this.inner.replayStartUsage(...a);
  }
  async discountReport(...a: Parameters<LedgerStore['discountReport']>) {
    this.#check('discountReport');
    return this.inner.discountReport(...a);
  }
  async ping() {
    this.#check('ping');
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

/** A Response whose json() is untyped (tests read fields freely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Res = Omit<Response, 'json'> & { json(): Promise<any> };

export interface Harness {
  dir: string;
  rulesDir: string;
  dbPath: string;
  store: FaultyStore;
  rulesets: RulesetHolder;
  service: Service;
  logs: ReturnType<typeof memoryLogger>;
  clock: { now: number };
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Res>;
  close(): Promise<void>;
}

export async function harness(
  options: {
    extraRules?: Record<string, string>;
    keys?: ApiKey[];
    /** The rules directory's only files, instead of the demo rules. */
    rules?: Record<string, string>;
    webhooks?: WebhookSubscription[];
    newEventId?: () => string;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'discounts-http-'));
  const rulesDir = join(dir, 'rules');
  if (options.rules) mkdirSync(rulesDir);
  else cpSync(join(ROOT, 'rules'), rulesDir, { recursive: true });
  for (const [name, text] of Object.entries(options.rules ?? {})) writeFileSync(join(rulesDir, name), text);
  for (const [name, text] of Object.entries(options.extraRules ?? {})) writeFileSync(join(rulesDir, name), text);
  const dbPath = join(dir, 'ledger.db');
  const store = new FaultyStore(await openStore({ path: dbPath }));
  const loaded = await loadServedRuleset(rulesDir, 'rules');
  if (!loaded.ok) throw new Error(`test rules do not compile: ${loaded.message} ${JSON.stringify(loaded.diagnostics)}`);
  const rulesets = new RulesetHolder(loaded.ruleset, { dir: rulesDir, displayDir: 'rules' });
  const clock = { now: FRIDAY_HAPPY_HOUR };
  const logs = memoryLogger();
  const service = createService({
    rulesets,
    store,
    now: () => clock.now,
    keys: options.keys ?? KEYS,
    logger: logs,
    ...(options.webhooks ? { webhooks: () => options.webhooks! } : {}),
    ...(options.newEventId ? { newEventId: options.newEventId } : {}),
  });
  return {
    dir,
    rulesDir,
    dbPath,
    store,
    rulesets,
    service,
    logs,
    clock,
    request(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return Promise.resolve(service.app.request(path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) })) as Promise<Res>;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The demo cart (rules/carts/demo.json) without its `at`, or with the given fields replaced. */
export function demoCart(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customer: { id: 'cust-1001', tier: 'silver' },
    codes: ['save5'],
    lines: [
      { id: 'l1', productId: 'blue-dream-3.5g', category: 'flower', unitPrice: 3500, quantity: 1 },
      { id: 'l2', productId: 'gummies-10pk', category: 'edibles', unitPrice: 1800, quantity: 2 },
      { id: 'l3', productId: 'mints-20pk', category: 'edibles', unitPrice: 1200, quantity: 1 },
      { id: 'l4', productId: 'preroll-1g', category: 'pre-rolls', unitPrice: 800, quantity: 2 },
      { id: 'l5', productId: 'lighter', category: 'accessories', unitPrice: 300, quantity: 1, cannabis: false },
    ],
    ...overrides,
  };
}

/** Asserts a body against one of the service's schemas (the OpenAPI components). */
export function expectSchema(name: SchemaName, body: unknown): void {
  const validate = apiValidators[name];
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${name} schema`).toEqual([]);
}

export async function errorOf(res: Res | Response, status: number, code: string): Promise<{ code: string; message: string; details: { path: string; message: string }[]; [k: string]: unknown }> {
  const body = (await res.json()) as { error: { code: string; message: string; details: { path: string; message: string }[] } };
  expect({ status: res.status, code: body.error?.code }, JSON.stringify(body)).toEqual({ status, code });
  expectSchema('Error', body);
  return body.error;
}
