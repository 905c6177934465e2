// Query shapes compiled once per store by the dialect's own query compiler, then run with new
// parameter values. Kysely builds and compiles every query again on each call; for the ledger's
// short statements that cost more CPU than SQLite takes to run them. The SQL is still kysely's,
// for whichever dialect the store was opened with (one cache per store, never shared).
//
// A shape is compiled with a sentinel string in place of each argument and maps each compiled
// parameter back to its argument, so the order of parameters is read from the compiled query,
// never assumed. An argument that does not come out as a parameter is an error at first use.

import { CompiledQuery, type Compilable, type Kysely, type QueryResult, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

const SLOT = '\u0000shape-argument:';

interface Shape {
  sql: string;
  /** Per compiled parameter: the index of the argument it takes, or a constant of the shape. */
  slots: ({ arg: number } | { value: unknown })[];
}

export class ShapeCache {
  readonly #shapes = new Map<string, Shape>();

  /**
   * Runs the query `build` makes from `args`. `key` names the shape: two calls with one key must
   * build the same SQL (put list lengths and row counts in the key).
   */
  async run<R>(db: Db, key: string, args: readonly unknown[], build: (db: Db, args: readonly never[]) => Compilable<R>): Promise<QueryResult<R>> {
    let shape = this.#shapes.get(key);
    if (!shape) {
      shape = compileShape(db, key, args.length, build);
      this.#shapes.set(key, shape);
    }
    const parameters = shape.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    return db.executeQuery(CompiledQuery.raw(shape.sql, parameters) as CompiledQuery<R>);
  }
}

function compileShape<R>(db: Db, key: string, arity: number, build: (db: Db, args: readonly never[]) => Compilable<R>): Shape {
  const sentinels = Array.from({ length: arity }, (_, i) => `${SLOT}${i}`);
  const compiled = build(db, sentinels as never[]).compile();
  const bound = new Set<number>();
  const slots = compiled.parameters.map((p) => {
    if (typeof p === 'string' && p.startsWith(SLOT)) {
      const arg = Number(p.slice(SLOT.length));
      bound.add(arg);
      return { arg };
    }
    return { value: p };
  });
  if (bound.size !== arity) throw new Error(`query shape ${key}: ${arity - bound.size} of ${arity} arguments are not parameters`);
  if (compiled.sql.includes(SLOT)) throw new Error(`query shape ${key}: an argument was written into the SQL text`);
  return { sql: compiled.sql, slots };
}
