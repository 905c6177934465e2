// The editor's Reports page: the discount report of the served store (GET /v1/reports/discounts)
// as a bar chart of discount given per discount and a daily line chart (uPlot), with the same
// figures in tables; the replay of the draft being edited over the report's period
// (POST /v1/reports/replay: "this change would have given $X more"); and the abuse signals
// (GET /v1/reports/abuse). Every number shown comes from those responses as they are, formatted
// with the store currency (formatMoney) and basis points as percentages (formatBps), never
// recomputed here.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatMoney } from '../../src/domain/money.js';
import type { DiscountReport } from '../../src/reports/discount-report.js';
import { formatBps } from '../../src/reports/render.js';
import { ApiFailure, type Api } from './api.js';

/** The parts of the replay report the page shows (schemas/replay-report.schema.json, h/replay). */
export interface ReplaySummary {
  from: string;
  to: string;
  currency: string;
  transactions: number;
  total: { changed: number; givenThen: number; givenNow: number; difference: number };
  discounts: { discountId: string; name: string | null; changed: number; givenThen: number; givenNow: number; difference: number }[];
}

/** The parts of the abuse report the page shows (schemas/abuse-report.schema.json, h/abuse). */
export interface AbuseSummary {
  from: string;
  to: string;
  signals: { kind: string; subject: Record<string, string>; count: number; threshold: number; amount?: number; message: string; window: { from: string; to: string } }[];
}

export interface ReportsPageDeps {
  api: Api;
  /** The draft being edited (null when none, or a read-only file). */
  draft(): { text: string; path: string; id: string } | null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const { dataset, ...rest } = props as { dataset?: Record<string, string> };
  const node = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const c of children) if (c !== null) node.append(c);
  return node;
}
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const failure = (err: unknown) => (err instanceof ApiFailure ? err.body.message : err instanceof Error ? err.message : String(err));

export class ReportsPage {
  #report: DiscountReport | null = null;
  #charts: uPlot[] = [];
  #seq = 0;

  constructor(private readonly deps: ReportsPageDeps) {
    $('reports-close').addEventListener('click', () => this.close());
    $<HTMLFormElement>('reports-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load();
    });
    $('replay-run').addEventListener('click', () => void this.replay());
  }

  /** The report on screen (for the end-to-end test: the figures shown come from it). */
  get report(): DiscountReport | null {
    return this.#report;
  }

  /** The charts' data as drawn: [bars x, bars given (major units)], [days x, given per day, voids per day]. */
  get chartData(): number[][][] {
    return this.#charts.map((c) => c.data.map((series) => Array.from(series as ArrayLike<number>)));
  }

  async open(): Promise<void> {
    $('reports').hidden = false;
    document.body.classList.add('reporting');
    const draft = this.deps.draft();
    $('replay-draft').textContent = draft ? draft.path : 'no draft open (open or create a rule to see what it would change)';
    $<HTMLButtonElement>('replay-run').disabled = !draft;
    await Promise.all([this.load(), this.abuse()]);
  }

  close(): void {
    $('reports').hidden = true;
    document.body.classList.remove('reporting');
  }

  #money(minor: number | null): string {
    if (minor === null) return '-';
    const r = this.#report;
    return formatMoney(minor, r?.currency ?? 'USD', r?.minorDigits ?? 2);
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    const from = $<HTMLInputElement>('report-from').value;
    const to = $<HTMLInputElement>('report-to').value;
    const query = new URLSearchParams();
    if (from) query.set('from', from);
    if (to) query.set('to', to);
    const qs = query.toString();
    $('report-status').textContent = 'Loading...';
    try {
      const { body } = await this.deps.api.request<DiscountReport>('GET', `/v1/reports/discounts${qs ? `?${qs}` : ''}`);
      if (seq !== this.#seq) return;
      this.#report = body;
      $<HTMLInputElement>('report-from').value = body.from;
      $<HTMLInputElement>('report-to').value = body.to;
      this.#render(body);
      $('report-status').textContent = '';
    } catch (err) {
      if (seq !== this.#seq) return;
      $('report-status').textContent = `Cannot read the report: ${failure(err)}`;
    }
  }

  #render(r: DiscountReport): void {
    const t = r.totals;
    $('report-totals').replaceChildren(
      el('div', {}, el('span', {}, 'Transactions'), el('strong', { id: 'total-transactions' }, String(t.transactions))),
      el('div', {}, el('span', {}, 'With a discount'), el('strong', {}, String(t.discountedTransactions))),
      el('div', {}, el('span', {}, 'Discount given'), el('strong', { id: 'total-given' }, this.#money(t.discountGiven))),
      el('div', {}, el('span', {}, 'Gross sales'), el('strong', { id: 'total-gross' }, this.#money(t.grossSales))),
      el('div', {}, el('span', {}, 'Net sales'), el('strong', { id: 'total-net' }, this.#money(t.netSales))),
      el('div', {}, el('span', {}, 'Share of gross'), el('strong', { id: 'total-share' }, formatBps(t.shareBps))),
      el('div', {}, el('span', {}, 'Voids'), el('strong', { id: 'total-voids' }, String(t.voids))),
    );
    const cell = (text: string, key?: string) => el('td', key ? { dataset: { k: key } } : {}, text);
    const rows = r.discounts.map((d) => {
      const tr = el(
        'tr',
        {},
        cell(String(d.rank), 'rank'),
        el('td', { dataset: { k: 'discount' } }, el('code', {}, d.discountId), ' ', d.name ?? '(not in the rules)'),
        cell(String(d.timesUsed), 'timesUsed'),
        cell(String(d.voids), 'voids'),
        cell(this.#money(d.discountGiven), 'discountGiven'),
        cell(this.#money(d.grossSales), 'grossSales'),
        cell(this.#money(d.netSales), 'netSales'),
        cell(formatBps(d.shareBps), 'shareBps'),
        cell(this.#money(d.averageDiscount), 'averageDiscount'),
      );
      tr.dataset.discountId = d.discountId;
      return tr;
    });
    const head = ['#', 'Discount', 'Used', 'Voids', 'Given', 'Gross sales', 'Net sales', 'Share', 'Average'];
    $('report-table').replaceChildren(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
    $('report-vendors').replaceChildren(
      ...(r.vendors.length
        ? [
            el('thead', {}, el('tr', {}, ...['Vendor', 'Discount', 'Applications', 'To bill back'].map((h) => el('th', {}, h)))),
            el(
              'tbody',
              {},
              ...r.vendors.flatMap((v) => [
                ...v.discounts.map((d) => el('tr', {}, el('td', {}, v.vendor), el('td', {}, el('code', {}, d.discountId)), el('td', {}, String(d.applications)), el('td', {}, this.#money(d.fundedAmount)))),
                el('tr', { className: 'sum', dataset: { vendor: v.vendor } }, el('td', {}, v.vendor), el('td', {}, 'total'), el('td', {}, String(v.applications)), el('td', { dataset: { k: 'fundedAmount' } }, this.#money(v.fundedAmount))),
              ]),
            ),
          ]
        : [el('tbody', {}, el('tr', {}, el('td', {}, 'No vendor-funded discount was used in the period.')))]),
    );
    this.#drawCharts(r);
  }

  #drawCharts(r: DiscountReport): void {
    for (const c of this.#charts) c.destroy();
    this.#charts = [];
    const scale = 10 ** r.minorDigits;
    const width = Math.max(320, ($('report-bars').clientWidth || 600) - 8);
    const used = r.discounts.filter((d) => d.discountGiven > 0 || d.timesUsed > 0);
    const bars = used.length ? used : r.discounts;
    const axisMoney = (_u: uPlot, vals: number[]) => vals.map((v) => formatMoney(Math.round(v * scale), r.currency, r.minorDigits));
    this.#charts.push(
      new uPlot(
        {
          title: 'Discount given per discount',
          width,
          height: 240,
          scales: { x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] } },
          axes: [
            { values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? (bars[v]?.discountId ?? '') : '')), incrs: [1], rotate: 0, size: 40 },
            { values: axisMoney, size: 70 },
          ],
          legend: { show: false },
          cursor: { show: true, points: { show: false } },
          series: [{}, { label: 'Given', fill: 'rgba(31,111,67,0.75)', stroke: '#1f6f43', paths: uPlot.paths.bars!({ size: [0.6, 80] }), points: { show: false } }],
        },
        [bars.map((_, i) => i), bars.map((d) => d.discountGiven / scale)],
        $('report-bars'),
      ),
    );
    const days = r.days;
    this.#charts.push(
      new uPlot(
        {
          title: `Discount given per day (${r.timezone})`,
          width,
          height: 220,
          // The x values are store-local dates at 00:00 UTC: drawn in UTC, the labels are those dates in any browser zone.
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
          scales: { x: { time: true } },
          axes: [{}, { values: axisMoney, size: 70 }],
          series: [
            { value: (_u, v) => (v === null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
            { label: 'Given', stroke: '#1f6f43', width: 2, value: (_u, v) => (v === null ? '' : formatMoney(Math.round(v * scale), r.currency, r.minorDigits)) },
            { label: 'Voids', stroke: '#b42318', width: 1, scale: 'n', value: (_u, v) => (v === null ? '' : String(v)) },
          ],
        },
        [days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000), days.map((d) => d.discountGiven / scale), days.map((d) => d.voids)],
        $('report-daily'),
      ),
    );
  }

  async replay(): Promise<void> {
    const draft = this.deps.draft();
    const out = $('replay-result');
    if (!draft) return;
    const r = this.#report;
    if (!r) {
      out.textContent = 'Load the report first.';
      return;
    }
    out.textContent = `Replaying ${r.from} to ${r.to} with your draft...`;
    try {
      const { body } = await this.deps.api.request<ReplaySummary>('POST', '/v1/reports/replay', { json: { from: r.from, to: r.to, drafts: [{ text: draft.text, path: draft.path }] } });
      const diff = body.total.difference;
      const money = (m: number) => formatMoney(m, body.currency, r.minorDigits);
      const sentence =
        diff === 0
          ? `This change would have given the same discounts over ${r.from} to ${r.to} (${body.transactions} sales re-priced).`
          : `This change would have given ${money(Math.abs(diff))} ${diff > 0 ? 'more' : 'less'} over ${r.from} to ${r.to}: ${money(body.total.givenNow)} instead of ${money(body.total.givenThen)}, ${body.total.changed} of ${body.transactions} sales changed.`;
      out.replaceChildren(
        el('p', { id: 'replay-sentence' }, sentence),
        el(
          'table',
          { className: 'grid' },
          el('thead', {}, el('tr', {}, ...['Discount', 'Changed', 'Given then', 'Given now', 'Difference'].map((h) => el('th', {}, h)))),
          el(
            'tbody',
            {},
            ...body.discounts
              .filter((d) => d.difference !== 0 || d.changed > 0)
              .map((d) => el('tr', {}, el('td', {}, el('code', {}, d.discountId)), el('td', {}, String(d.changed)), el('td', {}, money(d.givenThen)), el('td', {}, money(d.givenNow)), el('td', {}, `${d.difference > 0 ? '+' : d.difference < 0 ? '-' : ''}${money(Math.abs(d.difference))}`))),
          ),
        ),
      );
    } catch (err) {
      out.textContent = err instanceof ApiFailure && err.status === 404 ? 'Replay is not available on this service.' : `Cannot replay: ${failure(err)}`;
    }
  }

  async abuse(): Promise<void> {
    const out = $('abuse-list');
    out.replaceChildren(el('li', {}, 'Loading...'));
    try {
      const { body } = await this.deps.api.request<AbuseSummary>('GET', '/v1/reports/abuse');
      out.replaceChildren(
        ...(body.signals.length
          ? body.signals.map((s) => el('li', { className: `signal ${s.kind}` }, el('code', { className: 'reason' }, s.kind), ' ', s.message))
          : [el('li', { className: 'quiet' }, 'No signal: nothing looks like abuse.')]),
      );
    } catch (err) {
      out.replaceChildren(el('li', {}, err instanceof ApiFailure && err.status === 404 ? 'Abuse detection is not available on this service.' : `Cannot read the abuse signals: ${failure(err)}`));
    }
  }
}
