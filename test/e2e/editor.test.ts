// End to end: Debian's Chromium (playwright-core, never a downloaded browser) drives the editor
// page against a real `discounts serve` on 127.0.0.1 with API keys, on a temporary copy of rules/.
// A wrong key gets a plain message; a rule made from a template with a schema error shows the
// marker (monaco-yaml's and the server's, at the line); hover docs and completion come from the
// schema; fixed, it is tried on the sample cart
// (its discount and a rejection reason shown); saved with Ctrl+S, the file on disk passes
// `discounts validate`; a second save after someone else's save shows the conflict with their
// version. The Reports page shows the figures of GET /v1/reports/discounts for sales made through
// the POS API, its charts draw the same numbers, and the replay and abuse parts show their routes' answers. Every request the page makes goes to the service (no CDN). Without a browser the test
// is skipped with a message, but with CI=true a missing browser fails. In development mode (no
// keys) the page asks for none.
// Needs the build (`npm test` builds dist/ and editor/dist first).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const EDITOR_KEY = 'e2e-editor-key';
const hasBrowser = existsSync(CHROMIUM);

if (!hasBrowser) {
  if (process.env.CI === 'true' || process.env.DISCOUNTS_E2E_REQUIRE_BROWSER === '1')
    throw new Error(`${CHROMIUM} is missing and CI=true: the editor's end-to-end test must run in CI (.ci/setup-chromium.sh installs it with apt-get)`);
  console.warn(`test/e2e/editor.test.ts: skipped, ${CHROMIUM} is not installed (apt-get install -y chromium)`);
}

const run = promisify(execFile);

/** `discounts serve` in `cwd` on a free loopback port (with --rules rules, so the page names files rules/<name>). */
async function startServe(cwd: string, keys: string | null): Promise<{ server: ChildProcess; base: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DISCOUNTS_LOG_LEVEL: 'warn' };
  delete env.DISCOUNTS_API_KEYS;
  delete env.DISCOUNTS_API_KEYS_FILE;
  if (keys) env.DISCOUNTS_API_KEYS = keys;
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'discounts.js'), 'serve', '--rules', 'rules', '--db', 'ledger.db', '--port', '0', '--host', '127.0.0.1'], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`discounts serve did not start in 20 s: ${err}`)), 20_000);
    server.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /serving .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.once('exit', (code) => reject(new Error(`discounts serve exited with ${code}: ${err}`)));
  });
  return { server, base };
}

async function stopServe(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (server.exitCode === null) server.kill('SIGKILL');
}

const LAUNCH = { executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'], timeout: 30_000 };

describe.skipIf(!hasBrowser)('the rule editor in Chromium', () => {
  let dir: string;
  let rulesDir: string;
  let server: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    for (const built of ['dist/src/cli/main.js', 'editor/dist/index.html'])
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run npm run build first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'discounts-e2e-'));
    rulesDir = join(dir, 'rules');
    cpSync(join(ROOT, 'rules'), rulesDir, { recursive: true });
    // A vendor-funded discount active at any time (the demo's funded one is Wednesdays only): the Reports page's bill-back rows.
    writeFileSync(join(rulesDir, 'vapes-vendor-10.yaml'), 'id: vapes-vendor-10\nname: 10% off vapes, VapeCo funds 40%\ntype: percentage\nvalue: 10\nappliesTo:\n  categories: [vapes]\nstackable: true\nfunding:\n  vendor: vapeco\n  percent: 40\n');
    ({ server, base } = await startServe(dir, `editor:${EDITOR_KEY},pos:e2e-pos-key`));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch(LAUNCH);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopServe(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const problems = () => page.locator('#problem-list .problem');
  const editorText = () => page.evaluate(() => (globalThis as unknown as { __editor: { editor: { getValue(): string } } }).__editor.editor.getValue());

  it('writes, tries and saves a rule; a stale save shows the conflict', async () => {
    await page.goto(`${base}/editor/`);

    // The key: a wrong one is refused in plain words, the right one is kept for the tab.
    await page.locator('#key-dialog').waitFor({ state: 'visible' });
    await page.fill('#key-input', 'not-the-key');
    await page.click('#key-submit');
    await expect.poll(() => page.textContent('#key-error')).toContain('That key was not accepted');
    await page.fill('#key-input', EDITOR_KEY);
    await page.click('#key-submit');
    await page.locator('.rule').first().waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('discounts.editorKey'))).toBe(EDITOR_KEY);
    expect(await page.locator('.rule .badge.state-active').count()).toBeGreaterThan(3);

    // New from the percentage template: the id and the file name follow the name.
    await page.click('#btn-new');
    await page.selectOption('#new-template', 'percentage');
    await page.fill('#new-name', 'Flower Friday 15%');
    expect(await page.inputValue('#new-id')).toBe('flower-friday-15');
    expect(await page.textContent('#new-file')).toBe('rules/flower-friday-15.yaml');
    await page.click('#new-create');
    await expect.poll(editorText).toContain('id: flower-friday-15');
    expect(await editorText()).toContain('name: Flower Friday 15%');

    // A schema error typed at the end: monaco-yaml's marker and the server's, at that line.
    const lines = (await editorText()).split('\n').length;
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('colour: green');
    await page.keyboard.press('Escape');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor();
    await expect.poll(async () => (await problems().allTextContents()).join('\n')).toMatch(new RegExp(`Line ${lines}:1.*colour.*rule_schema_error`));
    await expect.poll(async () => (await problems().allTextContents()).join('\n')).toMatch(new RegExp(`Line ${lines}:\\d+.*schema`));
    expect(await page.getAttribute('#problems', 'class')).toContain('has-errors');

    // Saving is refused while it has errors.
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.textContent('#status')).toContain('Not saved');
    expect(existsSync(join(rulesDir, 'flower-friday-15.yaml'))).toBe(false);

    // Fixed: the line removed, the markers go.
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await expect.poll(() => problems().count()).toBe(0);
    expect(await page.textContent('#problem-count')).toBe('none');

    // Hover docs and completion come from schemas/rule.schema.json.
    await page.locator('.view-lines .view-line span', { hasText: /^maxDiscount$/ }).first().hover();
    await expect.poll(async () => (await page.locator('.monaco-hover').allTextContents()).join(' | '), { timeout: 15_000 }).toContain("Cap on this discount's total amount");
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('minP');
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'minPurchase' }).first().waitFor();
    await page.keyboard.press('Escape');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await expect.poll(() => problems().count()).toBe(0);

    // Format: the template is already in the canonical form of discounts fmt.
    await page.click('#btn-format');
    await expect.poll(() => page.textContent('#status')).toContain('Already in canonical form');

    // Try it on the sample cart: the draft's discount, money, and every rejection with its reason.
    await page.click('#btn-try');
    await page.locator('#try-result table.applied').waitFor();
    expect(await page.inputValue('#cart-select')).toBe('demo');
    const applied = await page.textContent('#try-result table.applied');
    expect(applied).toContain('Flower Friday 15%');
    expect(applied).toContain('this rule');
    expect(applied).toMatch(/-\$5\.25/); // 15% of the $35.00 flower line
    const rejected = await page.textContent('#try-result table.rejected');
    expect(rejected).toContain('TIER_NOT_ELIGIBLE');
    expect(rejected).toContain('gold-tier-10');
    expect(rejected).toContain('NOT_COMBINABLE');
    expect(await page.textContent('#try-result .totals')).toMatch(/Total\s*\$\d+\.\d{2}/);
    expect(existsSync(join(rulesDir, 'flower-friday-15.yaml'))).toBe(false);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'editor.png');
    await page.screenshot({ path: shot });
    if (process.env.DISCOUNTS_UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(shot, join(ROOT, 'docs', 'images', 'editor.png'));

    // Save with Ctrl+S: the file on disk is valid; the list says it is saved, not live.
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.textContent('#status')).toContain('Saved, not live');
    const saved = readFileSync(join(rulesDir, 'flower-friday-15.yaml'), 'utf8');
    expect(saved).toBe(await editorText());
    const validate = await run(process.execPath, [join(ROOT, 'bin', 'discounts.js'), 'validate', rulesDir]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(validate, validate.out).toMatchObject({ code: 0 });
    const entry = page.locator('.rule', { hasText: 'Flower Friday 15%' });
    await expect.poll(() => entry.textContent()).toContain('saved, not live');

    // Someone else saves the file; our next save is stale and shows their version.
    const theirs = saved.replace('value: 15', 'value: 12');
    writeFileSync(join(rulesDir, 'flower-friday-15.yaml'), theirs);
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('priority: 5');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+s');
    await page.locator('#conflict-dialog').waitFor({ state: 'visible' });
    expect(await page.textContent('#conflict-text')).toContain('saved by someone else');
    // Monaco renders spaces as no-break spaces.
    await expect.poll(async () => (await page.textContent('#conflict-editor'))?.replace(/\u00a0/g, ' ')).toContain('value: 12');
    await page.screenshot({ path: join(ARTIFACTS, 'editor-conflict.png') });
    expect(readFileSync(join(rulesDir, 'flower-friday-15.yaml'), 'utf8')).toBe(theirs);
    await page.click('#conflict-theirs');
    await expect.poll(editorText).toBe(theirs);

    // Diff against the saved file; the temporary rules folder is not a git repository.
    await page.click('#btn-diff');
    await page.locator('#diff-editor .monaco-diff-editor').waitFor();
    expect(await page.textContent('#diff-title')).toContain('the saved file (left) and your draft (right)');
    await page.click('#diff-head');
    await expect.poll(() => page.textContent('#status')).toContain('No git HEAD version');
    await page.click('#diff-close');
    expect(await page.isVisible('#diff')).toBe(false);

    // Only the service was contacted (no CDN, no network), and the page raised no error.
    const foreign = requests.filter((u) => !u.startsWith(base + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('shows the Reports page with the figures of the API', async () => {
    // Sales through the POS API at the server's clock (one of them voided), then the page.
    const api = (path: string, key: string, json?: unknown) =>
      fetch(`${base}${path}`, { method: json === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: json === undefined ? undefined : JSON.stringify(json) });
    const { at: _at, ...demo } = JSON.parse(readFileSync(join(rulesDir, 'carts', 'demo.json'), 'utf8')) as Record<string, unknown>;
    const carts = [
      demo,
      { ...demo, codes: [], customer: { id: 'cust-2', tier: 'gold' } },
      { lines: [{ id: 'l1', productId: 'vape-1', category: 'vapes', brand: 'stiiizy', unitPrice: 4000, quantity: 2 }], codes: ['save5'] },
      { ...demo, customer: { id: 'cust-3' } },
    ];
    for (const [i, cart] of carts.entries()) expect((await api('/v1/redemptions', 'e2e-pos-key', { transactionId: `e2e-${i}`, ...cart })).status).toBe(201);
    expect((await api('/v1/redemptions/e2e-3/void', 'e2e-pos-key', { reason: 'e2e' })).status).toBe(200);
    const res = await api('/v1/reports/discounts', EDITOR_KEY);
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      from: string;
      to: string;
      totals: { transactions: number; discountGiven: number; grossSales: number; netSales: number; voids: number };
      discounts: { rank: number; discountId: string; timesUsed: number; voids: number; discountGiven: number; grossSales: number; netSales: number; shareBps: number | null; averageDiscount: number | null }[];
      vendors: { vendor: string; fundedAmount: number }[];
    };
    expect(report.totals.transactions).toBe(3);
    expect(report.totals.voids).toBe(1);

    await page.click('#btn-reports');
    await page.locator('#report-table tbody tr').first().waitFor();
    const usd = (m: number | null) => (m === null ? '-' : `$${(m / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
    const pct = (b: number | null) => (b === null ? '-' : `${Math.floor(b / 100)}.${String(b % 100).padStart(2, '0')}%`);
    expect(await page.inputValue('#report-from')).toBe(report.from);
    expect(await page.inputValue('#report-to')).toBe(report.to);
    expect(await page.textContent('#total-transactions')).toBe(String(report.totals.transactions));
    expect(await page.textContent('#total-given')).toBe(usd(report.totals.discountGiven));
    expect(await page.textContent('#total-gross')).toBe(usd(report.totals.grossSales));
    expect(await page.textContent('#total-net')).toBe(usd(report.totals.netSales));
    expect(await page.textContent('#total-voids')).toBe('1');
    const shown = await page.$$eval('#report-table tbody tr', (trs) =>
      trs.map((tr) => ({ id: (tr as unknown as { dataset: Record<string, string> }).dataset.discountId, cells: Object.fromEntries([...tr.querySelectorAll('td[data-k]')].map((td) => [(td as unknown as { dataset: Record<string, string> }).dataset.k, td.textContent])) })),
    );
    expect(shown).toEqual(
      report.discounts.map((d) => ({
        id: d.discountId,
        cells: {
          rank: String(d.rank),
          discount: expect.stringContaining(d.discountId),
          timesUsed: String(d.timesUsed),
          voids: String(d.voids),
          discountGiven: usd(d.discountGiven),
          grossSales: usd(d.grossSales),
          netSales: usd(d.netSales),
          shareBps: pct(d.shareBps),
          averageDiscount: usd(d.averageDiscount),
        },
      })),
    );
    for (const v of report.vendors) expect(await page.textContent(`#report-vendors tr.sum[data-vendor="${v.vendor}"] td[data-k="fundedAmount"]`)).toBe(usd(v.fundedAmount));
    expect(report.vendors.map((v) => v.vendor)).toContain('vapeco');

    // The charts (uPlot canvases) draw the same numbers: given per discount, given and voids per day.
    expect(await page.locator('#report-bars .uplot canvas').count()).toBe(1);
    expect(await page.locator('#report-daily .uplot canvas').count()).toBe(1);
    const charts = await page.evaluate(() => (globalThis as unknown as { __editor: { reports: { chartData: number[][][] } } }).__editor.reports.chartData);
    const used = report.discounts.filter((d) => d.discountGiven > 0 || d.timesUsed > 0);
    expect(charts[0][1]).toEqual(used.map((d) => d.discountGiven / 100));
    expect(charts[1][1].reduce((a, b) => a + b, 0) * 100).toBeCloseTo(report.totals.discountGiven, 6);
    expect(charts[1][2].reduce((a, b) => a + b, 0)).toBe(1);

    // The replay of the open draft and the abuse list, as their routes answer (or say they are not there).
    const draftText = await editorText();
    const replay = await api('/v1/reports/replay', EDITOR_KEY, { from: report.from, to: report.to, drafts: [{ text: draftText, path: 'flower-friday-15.yaml' }] });
    expect(await page.textContent('#replay-draft')).toBe('flower-friday-15.yaml');
    await page.click('#replay-run');
    if (replay.status === 404) await expect.poll(() => page.textContent('#replay-result')).toBe('Replay is not available on this service.');
    else {
      expect(replay.status).toBe(200);
      const body = (await replay.json()) as { total: { difference: number } };
      const d = body.total.difference;
      await page.locator('#replay-sentence').waitFor();
      const sentence = await page.textContent('#replay-sentence');
      expect(sentence).toContain(d === 0 ? 'the same discounts' : `${usd(Math.abs(d))} ${d > 0 ? 'more' : 'less'}`);
    }
    const abuse = await api('/v1/reports/abuse', EDITOR_KEY);
    if (abuse.status === 404) await expect.poll(() => page.textContent('#abuse-list')).toBe('Abuse detection is not available on this service.');
    else {
      const body = (await abuse.json()) as { signals: { message: string }[] };
      await expect.poll(() => page.locator('#abuse-list li').allTextContents()).toEqual(body.signals.length ? body.signals.map((s) => expect.stringContaining(s.message)) : ['No signal: nothing looks like abuse.']);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'reports.png'), fullPage: true });
    await page.click('#reports-close');
    expect(await page.isVisible('#reports')).toBe(false);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

describe.skipIf(!hasBrowser)('the rule editor in development mode', () => {
  it('asks for no key when the service has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discounts-e2e-dev-'));
    cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
    const { server, base } = await startServe(dir, null);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch(LAUNCH);
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/editor/`);
      await page.locator('.rule').first().waitFor({ timeout: 20_000 });
      // The status is set after the list and the store policy have loaded: wait for it, do not race it.
      await page.locator('#status', { hasText: 'development mode: no key needed' }).waitFor({ timeout: 20_000 });
      expect(await page.textContent('#status')).toContain('development mode: no key needed');
      expect(await page.isVisible('#key-dialog')).toBe(false);
      expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    } finally {
      await browser.close();
      await stopServe(server);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
