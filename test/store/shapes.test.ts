// ShapeCache: a query compiled once runs with each call's own parameters, in the compiled order.

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/dialects/sqlite.js';
import type { DialectHandle } from '../../src/store/dialect.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { ShapeCache } from '../../src/store/shapes.js';

describe('ShapeCache', () => {
  let h: DialectHandle;
  beforeEach(async () => {
    h = openSqlite({ path: ':memory:' });
    await migrateToLatest(h.db);
  });
  afterEach(() => h.close());

  it('maps each compiled parameter to its argument, whatever order the query uses them in', async () => {
    const q = new ShapeCache();
    const insert = (store: string, id: string, used: number) =>
      q.run(h.db, 'ins', [used, id, store], (db, [used, id, store]) => db.insertInto('usage').values({ store, discount_id: id, used }));
    await insert('s1', 'a', 3);
    await insert('s2', 'b', 7);
    const select = (store: string, ids: string[]) =>
      q.run(h.db, `sel:${ids.length}`, [...ids, store], (db, a) =>
        db
          .selectFrom('usage')
          .select(['store', 'discount_id', 'used'])
          .where('discount_id', 'in', a.slice(0, ids.length))
          .where('store', '=', a[ids.length])
          .where('used', '>', sql.lit(0)),
      );
    expect((await select('s1', ['a', 'b'])).rows).toEqual([{ store: 's1', discount_id: 'a', used: 3 }]);
    expect((await select('s2', ['b', 'a'])).rows).toEqual([{ store: 's2', discount_id: 'b', used: 7 }]);
    expect((await select('s2', ['b'])).rows).toEqual([{ store: 's2', discount_id: 'b', used: 7 }]);
  });

  it('refuses a shape that drops an argument or writes it into the SQL text', async () => {
    const q = new ShapeCache();
    await expect(q.run(h.db, 'drop', ['x', 'y'], (db, [store]) => db.selectFrom('usage').selectAll().where('store', '=', store))).rejects.toThrow(
      /1 of 2 arguments are not parameters/,
    );
    await expect(q.run(h.db, 'lit', ['x'], (db, [store]) => db.selectFrom('usage').selectAll().where('store', '=', sql.lit(store)))).rejects.toThrow();
  });
});
