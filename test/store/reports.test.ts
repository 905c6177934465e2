// The discount report's store contract (test/store/reports-contract.ts) on a SQLite file and, with
// DISCOUNTS_TEST_PG_URL set, on a fresh PostgreSQL database per test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, describePg, tableRows } from './pg-helpers.js';
import { reportsContract, type ReportHarness } from './reports-contract.js';

function sqliteHarness(): ReportHarness {
  const dir = mkdtempSync(join(tmpdir(), 'reports-'));
  const path = join(dir, 'ledger.db');
  const raw = (fn: (db: Database.Database) => unknown) => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    open: () => openStore({ path }),
    rows: async (table) => raw((db) => (db.prepare(`select * from ${table}`).all() as Record<string, unknown>[]).map((r) => ({ ...r }))) as Record<string, unknown>[],
    exec: async (statement) => void raw((db) => db.exec(statement)),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function pgHarness(): Promise<ReportHarness> {
  const database = await createTestDatabase();
  let client: pg.Client | null = null;
  const c = async () => (client ??= await database.client());
  return {
    open: () => openStore({ url: database.url }),
    rows: async (table) => tableRows(await c(), table),
    exec: async (statement) => void (await (await c()).query(statement)),
    dispose: () => database.drop(),
  };
}

reportsContract('SQLite file', async () => sqliteHarness());
describePg('PostgreSQL discount report', () => reportsContract('postgres', pgHarness));
