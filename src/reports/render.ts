// Renderings of the discount report for the CLI (pure): CSV with a header row (minor units, one
// section per call) and an aligned text table for a terminal (money in the store currency, shares
// as percentages with two decimals). The JSON rendering is the report object itself.

import { formatMoney } from '../domain/money.js';
import type { DiscountReport } from './discount-report.js';

export const CSV_SECTIONS = ['discounts', 'days', 'vendors'] as const;
export type CsvSection = (typeof CSV_SECTIONS)[number];

/** A text cell: quoted when needed, a leading formula character neutralised (CSV injection). */
function textCell(v: string | null): string {
  if (v === null) return '';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const numCell = (v: number | null) => (v === null ? '' : String(v));

/** One section as CSV (CRLF line ends, a header row; money in minor units, shares in basis points, null as empty). */
export function reportCsv(report: DiscountReport, section: CsvSection = 'discounts'): string {
  const rows: string[][] = [];
  switch (section) {
    case 'discounts':
      rows.push(['rank', 'discountId', 'name', 'timesUsed', 'voids', 'discountGiven', 'grossSales', 'netSales', 'shareBps', 'averageDiscount']);
      for (const d of report.discounts)
        rows.push([numCell(d.rank), textCell(d.discountId), textCell(d.name), numCell(d.timesUsed), numCell(d.voids), numCell(d.discountGiven), numCell(d.grossSales), numCell(d.netSales), numCell(d.shareBps), numCell(d.averageDiscount)]);
      break;
    case 'days':
      rows.push(['date', 'transactions', 'discountedTransactions', 'discountGiven', 'grossSales', 'netSales', 'voids']);
      for (const d of report.days) rows.push([d.date, numCell(d.transactions), numCell(d.discountedTransactions), numCell(d.discountGiven), numCell(d.grossSales), numCell(d.netSales), numCell(d.voids)]);
      break;
    case 'vendors':
      rows.push(['vendor', 'discountId', 'applications', 'fundedAmount']);
      for (const v of report.vendors) for (const d of v.discounts) rows.push([textCell(v.vendor), textCell(d.discountId), numCell(d.applications), numCell(d.fundedAmount)]);
      break;
  }
  return rows.map((r) => r.join(',')).join('\r\n') + '\r\n';
}

/** "12.34%" for 1234 basis points; "-" for null. */
export function formatBps(bps: number | null): string {
  if (bps === null) return '-';
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
}

/** Columns padded to their widest cell; `right` marks the numeric columns. */
function table(head: string[], rows: string[][], right: boolean[]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The whole report for a terminal: totals, discounts by rank, days, vendors. */
export function reportTable(report: DiscountReport): string {
  const money = (v: number | null) => (v === null ? '-' : formatMoney(v, report.currency, report.minorDigits));
  const t = report.totals;
  const out: string[] = [];
  out.push(`Discount report for ${report.store}: ${report.from} to ${report.to} (exclusive), ${report.timezone}, ${report.currency}\n`);
  out.push(
    `${t.transactions} transaction(s), ${t.discountedTransactions} with a discount; discount given ${money(t.discountGiven)} of gross sales ${money(t.grossSales)} (${formatBps(t.shareBps)}); net sales ${money(t.netSales)}; ${t.voids} void(s)\n`,
  );
  out.push('\nDiscounts, most used first\n');
  out.push(
    table(
      ['Rank', 'Discount', 'Name', 'Used', 'Voids', 'Given', 'Gross sales', 'Net sales', 'Share', 'Average'],
      report.discounts.map((d) => [String(d.rank), d.discountId, d.name ?? '(not in the rules)', String(d.timesUsed), String(d.voids), money(d.discountGiven), money(d.grossSales), money(d.netSales), formatBps(d.shareBps), money(d.averageDiscount)]),
      [true, false, false, true, true, true, true, true, true, true],
    ),
  );
  out.push('\nPer day\n');
  out.push(
    table(
      ['Date', 'Transactions', 'Discounted', 'Given', 'Gross sales', 'Net sales', 'Voids'],
      report.days.map((d) => [d.date, String(d.transactions), String(d.discountedTransactions), money(d.discountGiven), money(d.grossSales), money(d.netSales), String(d.voids)]),
      [false, true, true, true, true, true, true],
    ),
  );
  out.push('\nVendor funding to bill back\n');
  if (!report.vendors.length) out.push('(no funded discounts in the period)\n');
  else
    out.push(
      table(
        ['Vendor', 'Discount', 'Applications', 'Funded'],
        report.vendors.flatMap((v) => [...v.discounts.map((d) => [v.vendor, d.discountId, String(d.applications), money(d.fundedAmount)]), [v.vendor, '(total)', String(v.applications), money(v.fundedAmount)]]),
        [false, false, true, true],
      ),
    );
  return out.join('');
}
