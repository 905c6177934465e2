// GET /v1/pos/sheet?format=json|csv: the POS sheet of the served ruleset (what `discounts
// pos-sheet` prints for the same rules).

import { posSheet, posSheetCsv, type PosSheet } from '../../pos/sheet.js';
import type { AppHono, RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { ServedRuleset } from '../ruleset.js';

const sheets = new WeakMap<ServedRuleset, PosSheet>();

export function posSheetRoutes(app: AppHono, ctx: RouteContext): void {
  app.get('/v1/pos/sheet', ctx.scope('pos', 'editor'), (c) => {
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv')
      throw new ApiError('invalid_request', `format must be csv or json, not '${format.slice(0, 32)}'`, { details: [{ path: 'format', message: 'must be csv or json' }] });
    const served = ctx.ruleset();
    let sheet = sheets.get(served);
    if (!sheet) sheets.set(served, (sheet = posSheet(served.compiled)));
    if (format === 'json') return c.json(sheet, 200);
    return c.body(posSheetCsv(sheet), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="pos-sheet-${sheet.store}.csv"`,
    });
  });
}
