// What the PostgreSQL tests share: whether they run (DISCOUNTS_TEST_PG_URL; skipped with a printed
// reason without it, a failure under CI=true), a fresh database per use that is dropped afterwards,
// and a loopback TCP proxy that a test can cut and restore to take "the database" away and back
// without touching the server the suite runs on.

import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { describe, it } from 'vitest';

export const PG_URL = process.env.DISCOUNTS_TEST_PG_URL ?? '';
const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const HOW = 'set DISCOUNTS_TEST_PG_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/DB (a role with CREATEDB; each run creates and drops its own database), or run CI=true bash .ci/run';

/**
 * describe() when DISCOUNTS_TEST_PG_URL is set. Without it: under CI=true one failing test (CI must
 * run the PostgreSQL half); otherwise describe.skip, with the reason printed and in the suite's name.
 */
export function describePg(name: string, body: () => void): void {
  if (PG_URL) {
    describe(name, body);
    return;
  }
  if (IN_CI) {
    describe(name, () => {
      it('has a PostgreSQL server to run on', () => {
        throw new Error(`CI=true but DISCOUNTS_TEST_PG_URL is not set: the PostgreSQL half cannot be skipped in CI (.ci/setup-postgres.sh exports it); ${HOW}`);
      });
    });
    return;
  }
  process.stderr.write(`SKIPPED ${name}: DISCOUNTS_TEST_PG_URL is not set; to run it, ${HOW}\n`);
  describe.skip(`${name} [skipped: DISCOUNTS_TEST_PG_URL is not set]`, body);
}

/** The same server and credentials, another database name. */
export function urlForDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A client of its own on the database (for assertions and faults); closed by drop(). */
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

let counter = 0;

/** CREATE DATABASE discounts_test_<pid>_<n>_<random> on the server of DISCOUNTS_TEST_PG_URL. */
export async function createTestDatabase(baseUrl = PG_URL): Promise<TestDatabase> {
  const name = `discounts_test_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(baseUrl, `create database ${name}`);
  const url = urlForDatabase(baseUrl, name);
  const clients = new Set<pg.Client>();
  return {
    name,
    url,
    async client() {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => undefined);
      await c.connect();
      clients.add(c);
      return c;
    },
    async drop() {
      for (const c of clients) await c.end().catch(() => undefined);
      clients.clear();
      await admin(baseUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(url: string, statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** Every row of a table, sorted by its JSON (as the SQLite harness returns them). */
export async function tableRows(client: pg.Client, table: string): Promise<Record<string, unknown>[]> {
  const { rows } = await client.query(`select * from ${table}`);
  return (rows as Record<string, unknown>[]).map((r) => ({ ...r })).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/**
 * A TCP proxy on 127.0.0.1 to the server of `target`. down() closes the listener and every
 * connection through it (clients see their connection reset, new ones are refused: the database
 * is "down"); up() listens again on the same port.
 */
export class TcpProxy {
  readonly #targetHost: string;
  readonly #targetPort: number;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(target: string) {
    const u = new URL(target);
    this.#targetHost = u.hostname;
    this.#targetPort = Number(u.port || 5432);
  }

  /** `target` with its host and port replaced by the proxy's. */
  url(target: string): string {
    const u = new URL(target);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((inbound) => {
      const outbound = connect(this.#targetPort, this.#targetHost);
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.port, '127.0.0.1', () => ok());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
    await closed;
  }
}
