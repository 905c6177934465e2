// The rule editor page: the list of rule files with their status, one Monaco editor for the open
// file (schema markers from monaco-yaml, the server's diagnostics as markers, debounced), New from
// templates, Format, Diff (saved file, git HEAD), Try it (a cart priced with the draft), and Save
// (Ctrl/Cmd+S) with the file's revision so nobody's newer save is overwritten unseen.
// Imports only the browser-safe core (src/domain) and schemas/, never server code.

import './style.css';
import { currencyDigits, decimalToScaled, formatMoney } from '../../src/domain/money.js';
import type { CartLine, Diagnostic, EvaluateRequest } from '../../src/domain/types.js';
import { Api, ApiFailure, type RuleList, type SampleCart, type SimulateResult } from './api.js';
import type * as Monaco from 'monaco-editor';
import { monaco, RULE_URI, STORE_URI } from './monaco-setup.js';
import { idFromName, idProblem, TEMPLATES } from './templates.js';
import { ReportsPage } from './reports.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) if (c !== null) node.append(c);
  return node;
}

// ---------------------------------------------------------------------------
// The key: asked once per tab; a plain message when it is wrong.

const keyDialog = $<HTMLDialogElement>('key-dialog');
const api = new Api(
  (problem) =>
    new Promise<string>((resolve) => {
      $('key-error').textContent = problem ?? '';
      const input = $<HTMLInputElement>('key-input');
      input.value = '';
      keyDialog.showModal();
      input.focus();
      $<HTMLFormElement>('key-form').onsubmit = (e) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        keyDialog.close();
        resolve(input.value);
      };
    }),
);
keyDialog.addEventListener('cancel', (e) => e.preventDefault());

// ---------------------------------------------------------------------------
// State

interface OpenDoc {
  id: string;
  /** File name in the rules directory. */
  file: string;
  model: Monaco.editor.ITextModel;
  /** The text as last read from or written to disk ('' for a new file). */
  savedText: string;
  /** The revision the edits are based on; null for a file not saved yet. */
  revision: string | null;
  readOnly: boolean;
}

let list: RuleList | null = null;
let doc: OpenDoc | null = null;
let currency = 'USD';
let digits = 2;
let validateTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;

const editor = monaco.editor.create($('editor'), {
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 14,
  tabSize: 2,
  insertSpaces: true,
  renderWhitespace: 'boundary',
  scrollBeyondLastLine: false,
  quickSuggestions: { other: true, strings: true, comments: false },
  model: monaco.editor.createModel('# Open a rule from the list, or press New.\n', 'yaml', monaco.Uri.parse('file:///welcome.yaml')),
  readOnly: true,
});

function status(text: string, kind: 'info' | 'ok' | 'error' | 'warn' = 'info'): void {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${kind}`;
}

const displayPath = (file: string) => `${list?.dir ?? 'rules'}/${file}`;

function failureText(err: unknown): string {
  if (err instanceof ApiFailure) return err.body.message;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------
// The list

const STATE_LABEL: Record<string, string> = { active: 'active', scheduled: 'scheduled', expired: 'expired', paused: 'paused', exhausted: 'exhausted', error: 'has errors' };
const SYNC_LABEL: Record<string, string> = { changed: 'saved, not live', new: 'saved, not live', deleted: 'deleted, still live' };

async function refreshList(): Promise<void> {
  list = await api.rules();
  renderList();
  const foot = $('side-foot');
  foot.replaceChildren(
    el('div', {}, `Serving ruleset ${list.rulesetVersion.slice(0, 12)}`),
    el('div', {}, list.autoReload ? 'Saving reloads the service (autoReload).' : 'Saved rules go live after review and a reload or deploy.'),
    el('a', { href: '#store', className: 'store-link', onclick: (e: Event) => (e.preventDefault(), void openRule('store')) }, 'store.yaml (read-only)'),
  );
}

function renderList(): void {
  if (!list) return;
  const q = $<HTMLInputElement>('filter').value.trim().toLowerCase();
  const want = $<HTMLSelectElement>('filter-state').value;
  const items = list.rules.filter((r) => {
    if (want === 'not-live' ? r.live : want && r.state !== want) return false;
    return !q || [r.id, r.name ?? '', r.code ?? '', r.file ?? ''].some((s) => s.toLowerCase().includes(q));
  });
  $('rule-list').replaceChildren(
    ...items.map((r) =>
      el(
        'li',
        { className: `rule${doc?.id === r.id ? ' current' : ''}`, tabIndex: 0, onclick: () => void openRule(r.id), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && void openRule(r.id) },
        el('div', { className: 'rule-name' }, r.name ?? r.id),
        el('div', { className: 'rule-meta' }, el('code', {}, r.file ?? r.id), r.code ? el('span', { className: 'code' }, r.code) : null),
        el(
          'div',
          { className: 'badges' },
          el('span', { className: `badge state-${r.state}` }, STATE_LABEL[r.state] ?? r.state),
          r.live ? null : el('span', { className: `badge sync-${r.sync}` }, SYNC_LABEL[r.sync] ?? r.sync),
        ),
      ),
    ),
  );
  if (!items.length) $('rule-list').append(el('li', { className: 'empty' }, 'No rule matches the filter.'));
}

$('filter').addEventListener('input', renderList);
$('filter-state').addEventListener('change', renderList);

// ---------------------------------------------------------------------------
// Opening a file

function modelFor(file: string, text: string, store = false): Monaco.editor.ITextModel {
  const uri = store ? STORE_URI : RULE_URI(file);
  monaco.editor.getModel(uri)?.dispose();
  return monaco.editor.createModel(text, /\.json$/i.test(file) ? 'json' : 'yaml', uri);
}

function setDoc(next: OpenDoc): void {
  const old = editor.getModel();
  doc = next;
  editor.setModel(next.model);
  if (old && old !== next.model && old.uri.toString() !== next.model.uri.toString()) old.dispose();
  editor.updateOptions({ readOnly: next.readOnly });
  next.model.onDidChangeContent(() => {
    updateTitle();
    scheduleValidate();
  });
  for (const b of ['btn-format', 'btn-diff', 'btn-try', 'btn-save']) $<HTMLButtonElement>(b).disabled = false;
  $<HTMLButtonElement>('btn-save').disabled = next.readOnly;
  $<HTMLButtonElement>('btn-format').disabled = next.readOnly;
  closeDiff();
  updateTitle();
  renderList();
  void validateNow();
  editor.focus();
}

function updateTitle(): void {
  if (!doc) return;
  const dirty = doc.model.getValue() !== doc.savedText;
  $('current-file').textContent = `${displayPath(doc.file)}${doc.readOnly ? ' (read-only)' : ''}${doc.revision === null ? ' (new, not saved)' : dirty ? ' (edited)' : ''}`;
}

async function openRule(id: string): Promise<void> {
  if (doc && !doc.readOnly && doc.model.getValue() !== doc.savedText && doc.id !== id && !confirm(`Discard your changes to ${doc.file}?`)) return;
  try {
    const f = await api.rule(id);
    setDoc({ id, file: f.file, model: modelFor(f.file, f.text, f.readOnly), savedText: f.text, revision: f.revision, readOnly: f.readOnly });
    status(f.readOnly ? `${displayPath(f.file)} is read-only here: the store policy changes in review.` : `Opened ${displayPath(f.file)}${f.live ? '' : ' (saved, not live)'}.`);
  } catch (err) {
    status(`Cannot open ${id}: ${failureText(err)}`, 'error');
  }
}

// ---------------------------------------------------------------------------
// Diagnostics: the server's as markers (owner "discounts"), listed with monaco-yaml's.

function scheduleValidate(): void {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(() => void validateNow(), 400);
}

/** Checks the draft on the server; returns its errors (null when the check could not run). */
async function validateNow(): Promise<Diagnostic[] | null> {
  clearTimeout(validateTimer);
  if (!doc) return null;
  const current = doc;
  const seq = ++validateSeq;
  const text = current.model.getValue();
  try {
    const res = await api.validate(text, current.file);
    if (seq !== validateSeq || doc !== current) return null;
    const own = res.diagnostics.filter((d) => d.path === res.path);
    setServerMarkers(current.model, own);
    const errors = own.filter((d) => d.severity === 'error');
    if (!errors.length && $('status').classList.contains('error') && /^Not saved/.test($('status').textContent ?? '')) status('No errors left: ready to save (Ctrl+S).', 'ok');
    return errors;
  } catch (err) {
    if (seq === validateSeq) status(`Could not check the rule: ${failureText(err)}`, 'error');
    return null;
  }
}

function setServerMarkers(model: Monaco.editor.ITextModel, diagnostics: Diagnostic[]): void {
  if (model.isDisposed()) return;
  monaco.editor.setModelMarkers(
    model,
    'discounts',
    diagnostics.map((d) => {
      const line = Math.min(Math.max(d.line, 1), model.getLineCount());
      const col = Math.min(Math.max(d.col, 1), model.getLineMaxColumn(line));
      const word = model.getWordAtPosition({ lineNumber: line, column: col });
      const end = Math.max(word?.endColumn ?? model.getLineMaxColumn(line), col + 1);
      return {
        severity: d.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
        startLineNumber: line,
        startColumn: col,
        endLineNumber: line,
        endColumn: Math.min(end, model.getLineMaxColumn(line)) === col ? model.getLineMaxColumn(line) : Math.min(end, model.getLineMaxColumn(line)),
        message: d.message,
        code: d.code,
        source: 'discounts validate',
      };
    }),
  );
}

function renderProblems(): void {
  const model = editor.getModel();
  const markers = model ? monaco.editor.getModelMarkers({ resource: model.uri }) : [];
  markers.sort((a, b) => a.startLineNumber - b.startLineNumber || a.startColumn - b.startColumn || a.message.localeCompare(b.message));
  const errors = markers.filter((m) => m.severity === monaco.MarkerSeverity.Error).length;
  $('problem-count').textContent = markers.length ? `${errors} error(s), ${markers.length - errors} warning(s)` : 'none';
  $('problems').classList.toggle('has-errors', errors > 0);
  $('problem-list').replaceChildren(
    ...markers.map((m) =>
      el(
        'li',
        {
          className: `problem ${m.severity === monaco.MarkerSeverity.Error ? 'error' : 'warning'}`,
          onclick: () => {
            editor.revealLineInCenter(m.startLineNumber);
            editor.setPosition({ lineNumber: m.startLineNumber, column: m.startColumn });
            editor.focus();
          },
        },
        el('span', { className: 'where' }, `Line ${m.startLineNumber}:${m.startColumn}`),
        el('span', { className: 'msg' }, m.message),
        el('span', { className: 'src' }, m.source === 'discounts validate' ? `${typeof m.code === 'string' ? m.code : 'server'}` : 'schema'),
      ),
    ),
  );
}

monaco.editor.onDidChangeMarkers(renderProblems);
editor.onDidChangeModel(renderProblems);

// ---------------------------------------------------------------------------
// New from a template

const newDialog = $<HTMLDialogElement>('new-dialog');
for (const t of TEMPLATES) $('new-template').append(el('option', { value: t.key }, t.label));
let idTouched = false;

function updateNewForm(): void {
  const id = $<HTMLInputElement>('new-id').value.trim();
  $('new-file').textContent = id ? displayPath(`${id}.yaml`) : '-';
  const problem = id ? idProblem(id, new Set(list?.rules.map((r) => r.id) ?? [])) : null;
  $('new-error').textContent = problem ?? '';
}
$('new-name').addEventListener('input', () => {
  if (!idTouched) $<HTMLInputElement>('new-id').value = idFromName($<HTMLInputElement>('new-name').value);
  updateNewForm();
});
$('new-id').addEventListener('input', () => {
  idTouched = true;
  updateNewForm();
});
$('new-cancel').addEventListener('click', () => newDialog.close());
$('btn-new').addEventListener('click', () => {
  idTouched = false;
  $<HTMLInputElement>('new-id').value = '';
  $<HTMLInputElement>('new-name').value = '';
  updateNewForm();
  newDialog.showModal();
  $('new-name').focus();
});
$<HTMLFormElement>('new-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $<HTMLInputElement>('new-id').value.trim();
  const name = $<HTMLInputElement>('new-name').value.trim();
  const problem = idProblem(id, new Set(list?.rules.map((r) => r.id) ?? []));
  if (problem || !name) {
    $('new-error').textContent = problem ?? 'Enter a name.';
    return;
  }
  const template = TEMPLATES.find((t) => t.key === $<HTMLSelectElement>('new-template').value) ?? TEMPLATES[0];
  if (doc && !doc.readOnly && doc.model.getValue() !== doc.savedText && !confirm(`Discard your changes to ${doc.file}?`)) return;
  newDialog.close();
  const file = `${id}.yaml`;
  setDoc({ id, file, model: modelFor(file, template.text(id, name)), savedText: '', revision: null, readOnly: false });
  status(`New rule ${displayPath(file)} from the "${template.label}" template: change the values, try it, then save.`);
});

// ---------------------------------------------------------------------------
// Format (the server runs `discounts fmt`'s own code)

$('btn-format').addEventListener('click', async () => {
  if (!doc || doc.readOnly) return;
  const model = doc.model;
  try {
    const res = await api.format(model.getValue(), doc.file);
    if (!res.changed) return status('Already in canonical form.', 'ok');
    editor.pushUndoStop();
    editor.executeEdits('format', [{ range: model.getFullModelRange(), text: res.text }]);
    editor.pushUndoStop();
    status('Formatted as discounts fmt does (undo with Ctrl+Z).', 'ok');
  } catch (err) {
    if (err instanceof ApiFailure && err.body.diagnostics) setServerMarkers(model, err.body.diagnostics);
    status(`Cannot format: ${failureText(err)}`, 'error');
  }
});

// ---------------------------------------------------------------------------
// Diff: the draft against the saved file, or against git HEAD

let diffEditor: Monaco.editor.IStandaloneDiffEditor | null = null;
let diffOriginal: Monaco.editor.ITextModel | null = null;

async function showDiff(against: 'saved' | 'head'): Promise<void> {
  if (!doc) return;
  let original = doc.savedText;
  let title = `${displayPath(doc.file)}: the saved file (left) and your draft (right)`;
  if (against === 'head') {
    try {
      const head = await api.rule(doc.id, true);
      original = head.text;
      title = `${displayPath(doc.file)}: git HEAD ${head.commit?.slice(0, 10) ?? ''} (left) and your draft (right): what a reviewer will see`;
    } catch (err) {
      status(err instanceof ApiFailure && err.status === 404 ? `No git HEAD version: ${err.body.message}` : `Cannot read git HEAD: ${failureText(err)}`, 'warn');
      if (!diffEditor) return;
      original = '';
      title = `${displayPath(doc.file)}: not in git HEAD (left empty)`;
    }
  }
  $('diff').hidden = false;
  $('editor').hidden = true;
  $('diff-title').textContent = title;
  diffEditor ??= monaco.editor.createDiffEditor($('diff-editor'), { automaticLayout: true, renderSideBySide: true, originalEditable: false, minimap: { enabled: false } });
  // The new original goes in before the old one is disposed (a diff editor must never hold a disposed model).
  const previous = diffOriginal;
  diffOriginal = monaco.editor.createModel(original, doc.model.getLanguageId(), monaco.Uri.parse(`inmemory://diff/${against}/${Date.now()}/${doc.file}`));
  diffEditor.setModel({ original: diffOriginal, modified: doc.model });
  previous?.dispose();
}

function closeDiff(): void {
  if ($('diff').hidden) return;
  $('diff').hidden = true;
  $('editor').hidden = false;
  diffEditor?.setModel(null);
  diffOriginal?.dispose();
  diffOriginal = null;
  if (doc) editor.setModel(doc.model);
}

$('btn-diff').addEventListener('click', () => void showDiff('saved'));
$('diff-saved').addEventListener('click', () => void showDiff('saved'));
$('diff-head').addEventListener('click', () => void showDiff('head'));
$('diff-close').addEventListener('click', closeDiff);

// ---------------------------------------------------------------------------
// Save, with the revision; a stale one opens the conflict view

const conflictDialog = $<HTMLDialogElement>('conflict-dialog');
let conflictEditor: Monaco.editor.IStandaloneDiffEditor | null = null;
let theirs: { text: string; revision: string } | null = null;

async function save(): Promise<void> {
  if (!doc || doc.readOnly) return;
  const current = doc;
  const text = current.model.getValue();
  const errors = await validateNow();
  if (errors === null) return;
  if (errors.length) {
    status(`Not saved: ${displayPath(current.file)} has ${errors.length} error(s). Fix the problems listed below, then save again.`, 'error');
    return;
  }
  try {
    const res = await api.save(current.id, text, current.revision);
    current.savedText = text;
    current.revision = res.revision;
    updateTitle();
    const reload = res.reload ? (res.reload.ok ? ' The service reloaded: it is live.' : ` The reload was refused: ${res.reload.message}`) : '';
    status(`Saved ${displayPath(res.file)}.${reload || (res.live ? ' It is live.' : ' Saved, not live: it goes live after review and a reload or deploy.')}`, 'ok');
    await refreshList();
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 412) return conflict(current, text);
    if (err instanceof ApiFailure && err.body.diagnostics) setServerMarkers(current.model, err.body.diagnostics.filter((d) => d.path === displayPath(current.file)));
    status(`Not saved: ${failureText(err)}`, 'error');
  }
}

async function conflict(current: OpenDoc, mine: string): Promise<void> {
  let their: { text: string; revision: string } | null = null;
  try {
    const f = await api.rule(current.id);
    their = { text: f.text, revision: f.revision };
  } catch (err) {
    if (!(err instanceof ApiFailure && err.status === 404)) return status(`Not saved, and their version cannot be read: ${failureText(err)}`, 'error');
  }
  theirs = their;
  $('conflict-text').textContent = their
    ? `${displayPath(current.file)} was saved by someone else after you opened it. Compare their version with yours, then take theirs or overwrite it with yours.`
    : `${displayPath(current.file)} was deleted by someone else after you opened it. Overwrite to create it again with your version.`;
  conflictDialog.showModal();
  conflictEditor ??= monaco.editor.createDiffEditor($('conflict-editor'), { automaticLayout: true, readOnly: true, originalEditable: false, minimap: { enabled: false } });
  const lang = current.model.getLanguageId();
  const old = conflictEditor.getModel();
  conflictEditor.setModel({
    original: monaco.editor.createModel(their?.text ?? '', lang, monaco.Uri.parse(`inmemory://theirs/${current.file}`)),
    modified: monaco.editor.createModel(mine, lang, monaco.Uri.parse(`inmemory://mine/${Date.now()}/${current.file}`)),
  });
  old?.original.dispose();
  old?.modified.dispose();
  $<HTMLButtonElement>('conflict-theirs').disabled = their === null;
  status(`Not saved: ${displayPath(current.file)} changed on the server since you opened it.`, 'warn');
}

$('conflict-cancel').addEventListener('click', () => conflictDialog.close());
$('conflict-theirs').addEventListener('click', () => {
  conflictDialog.close();
  if (!doc || !theirs) return;
  doc.savedText = theirs.text;
  doc.revision = theirs.revision;
  editor.pushUndoStop();
  editor.executeEdits('theirs', [{ range: doc.model.getFullModelRange(), text: theirs.text }]);
  editor.pushUndoStop();
  status('You now have their version (undo with Ctrl+Z to get yours back).', 'ok');
});
$('conflict-mine').addEventListener('click', () => {
  conflictDialog.close();
  if (!doc) return;
  doc.revision = theirs?.revision ?? null;
  void save();
});

$('btn-save').addEventListener('click', () => void save());
editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => void save());
window.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
    e.preventDefault();
    void save();
  }
});
window.addEventListener('beforeunload', (e) => {
  if (doc && !doc.readOnly && doc.model.getValue() !== doc.savedText) e.preventDefault();
});

// ---------------------------------------------------------------------------
// Try it: a cart priced with the draft in place of its file

interface LineRow extends Omit<CartLine, 'unitPrice'> {
  price: string;
}
let lines: LineRow[] = [];
let carts: SampleCart[] = [];

const majorOf = (minor: number) => (digits ? (minor / 10 ** digits).toFixed(digits) : String(minor));
const money = (minor: number) => formatMoney(minor, currency, digits);

function renderLines(): void {
  $('line-rows').replaceChildren(
    ...lines.map((l, i) => {
      const input = (key: keyof LineRow, props: Record<string, unknown> = {}) => {
        const node = el('input', { ...props, value: String(l[key] ?? '') });
        node.addEventListener('input', () => ((lines[i] as unknown as Record<string, unknown>)[key] = props.type === 'number' ? Number(node.value) : node.value));
        return node;
      };
      const cannabis = el('input', { type: 'checkbox', checked: l.cannabis !== false });
      cannabis.addEventListener('change', () => (lines[i].cannabis = cannabis.checked));
      return el(
        'tr',
        {},
        el('td', {}, input('id', { size: 4 })),
        el('td', {}, input('productId', { size: 16 })),
        el('td', {}, input('category', { size: 10 })),
        el('td', {}, input('price', { size: 7, inputMode: 'decimal' })),
        el('td', {}, input('quantity', { type: 'number', min: '1', step: '1', className: 'qty' })),
        el('td', { className: 'center' }, cannabis),
        el('td', {}, el('button', { type: 'button', className: 'link', onclick: () => (lines.splice(i, 1), renderLines()) }, 'remove')),
      );
    }),
  );
}

function loadCart(cart: SampleCart): void {
  const req = cart.request;
  if (!req) return;
  $<HTMLInputElement>('cust-id').value = req.customer?.id ?? '';
  $<HTMLInputElement>('cust-tier').value = req.customer?.tier ?? '';
  $<HTMLInputElement>('codes').value = (req.codes ?? []).join(', ');
  $<HTMLInputElement>('at').value = req.at ? req.at.slice(0, 19) : '';
  lines = (req.lines ?? []).map((l) => ({ id: l.id, productId: l.productId, category: l.category, price: majorOf(l.unitPrice), quantity: l.quantity, cannabis: l.cannabis }));
  renderLines();
}

$('add-line').addEventListener('click', () => {
  lines.push({ id: `l${lines.length + 1}`, productId: '', category: '', price: '', quantity: 1, cannabis: true });
  renderLines();
});
$('cart-select').addEventListener('change', () => {
  const cart = carts.find((c) => c.name === $<HTMLSelectElement>('cart-select').value);
  if (cart) loadCart(cart);
});

async function openTry(): Promise<void> {
  $('try').hidden = false;
  document.body.classList.add('trying');
  if (!carts.length) {
    try {
      carts = await api.carts();
      $('cart-select').replaceChildren(el('option', { value: '' }, '(choose)'), ...carts.map((c) => el('option', { value: c.name, disabled: c.errors.length > 0 }, c.file)));
      const first = carts.find((c) => c.errors.length === 0);
      if (first && !lines.length) {
        $<HTMLSelectElement>('cart-select').value = first.name;
        loadCart(first);
      }
    } catch (err) {
      status(`Cannot read the sample carts: ${failureText(err)}`, 'error');
    }
  }
}

function cartRequest(): EvaluateRequest | string {
  // explain: every automatic discount that did not apply is listed with its reason.
  const req: EvaluateRequest = { explain: true, lines: [] };
  for (const [i, l] of lines.entries()) {
    const price = decimalToScaled(Number(l.price), digits);
    if (l.price.trim() === '' || price === null || price < 0) return `Line ${i + 1}: the price "${l.price}" is not an amount in ${currency} (up to ${digits} decimals).`;
    if (!Number.isInteger(l.quantity) || l.quantity < 1) return `Line ${i + 1}: the quantity must be a whole number of at least 1.`;
    if (!l.id || !l.productId || !l.category) return `Line ${i + 1}: fill in the line id, product and category.`;
    req.lines.push({ id: l.id, productId: l.productId, category: l.category, unitPrice: price, quantity: l.quantity, ...(l.cannabis === false ? { cannabis: false } : {}) });
  }
  const id = $<HTMLInputElement>('cust-id').value.trim();
  const tier = $<HTMLInputElement>('cust-tier').value.trim();
  if (id || tier) req.customer = { ...(id ? { id } : {}), ...(tier ? { tier } : {}) };
  const codes = $<HTMLInputElement>('codes').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (codes.length) req.codes = codes;
  const at = $<HTMLInputElement>('at').value;
  if (at) req.at = at.length === 16 ? `${at}:00` : at;
  return req;
}

async function runTry(): Promise<void> {
  if (!doc) return;
  const req = cartRequest();
  const out = $('try-result');
  if (typeof req === 'string') {
    out.replaceChildren(el('p', { className: 'error' }, req));
    return;
  }
  out.replaceChildren(el('p', {}, 'Pricing...'));
  try {
    const drafts = doc.readOnly ? [] : [{ text: doc.model.getValue(), path: doc.file }];
    const res = await api.simulate(drafts, req);
    currency = res.currency;
    digits = currencyDigits(res.currency) ?? digits;
    renderResult(res, req);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 422 && err.body.diagnostics) {
      const own = err.body.diagnostics.filter((d) => d.path === displayPath(doc!.file));
      if (own.length) setServerMarkers(doc.model, own);
      out.replaceChildren(el('p', { className: 'error' }, `${err.body.message}.`), el('ul', {}, ...err.body.diagnostics.filter((d) => d.severity === 'error').map((d) => el('li', {}, `Line ${d.line}: ${d.message}`))));
      return;
    }
    out.replaceChildren(el('p', { className: 'error' }, failureText(err)));
  }
}

function renderResult(res: SimulateResult, req: EvaluateRequest): void {
  const mine = doc?.id;
  const product = new Map(req.lines.map((l) => [l.id, l.productId]));
  const tag = (id: string | null) => (id && id === mine ? el('span', { className: 'badge mine' }, 'this rule') : null);
  const table = (head: string[], rows: (Node | string)[][], className = '') =>
    el('table', { className: `grid ${className}` }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
  const totals = el(
    'div',
    { className: 'totals' },
    el('div', {}, el('span', {}, 'Subtotal'), el('strong', {}, money(res.subtotal))),
    el('div', {}, el('span', {}, 'Discounts'), el('strong', { className: 'discount' }, res.discountTotal ? `-${money(res.discountTotal)}` : money(0))),
    el('div', {}, el('span', {}, 'Total'), el('strong', {}, money(res.total))),
  );
  const applied = res.applied.length
    ? table(
        ['Applied discount', 'Code', 'Amount', 'Per line'],
        res.applied.map((a) => [
          el('span', {}, a.name, ' ', el('code', {}, a.discountId), ' ', tag(a.discountId) ?? ''),
          a.code ?? '',
          `-${money(a.amount)}`,
          el('span', {}, a.allocations.map((x) => `${x.lineId} ${product.get(x.lineId) ?? ''}: -${money(x.amount)}`).join('; ')),
        ]),
        'applied',
      )
    : el('p', {}, 'No discount applies to this cart.');
  const perLine = table(
    ['Line', 'Product', 'Subtotal', 'Discount', 'Total'],
    res.lines.map((l) => [l.id, product.get(l.id) ?? '', money(l.subtotal), l.discount ? `-${money(l.discount)}` : '', money(l.total)]),
    'per-line',
  );
  const rejected = res.rejected.length
    ? table(
        ['Discount', 'Reason', 'Why'],
        res.rejected.map((r) => [el('span', {}, el('code', {}, r.discountId ?? r.code ?? ''), ' ', tag(r.discountId) ?? ''), el('code', { className: 'reason' }, r.reason), r.message]),
        'rejected',
      )
    : el('p', {}, 'Nothing was rejected.');
  const warnings = res.warnings.length ? el('ul', { className: 'warnings' }, ...res.warnings.map((w) => el('li', {}, `Line ${w.line}: ${w.message}`))) : null;
  const note = res.limitsChecked === false ? el('p', { className: 'warn' }, 'The usage counts could not be read: limits were not checked.') : null;
  $('try-result').replaceChildren(totals, applied, el('h4', {}, 'Not applied'), rejected, el('h4', {}, 'Lines'), perLine, warnings ?? '', note ?? '');
  const draft = res.applied.find((a) => a.discountId === mine);
  const why = res.rejected.find((r) => r.discountId === mine);
  status(
    `Priced with your draft in place of ${displayPath(doc?.file ?? '')} and the served usage counts (nothing saved): ${draft ? `it takes ${money(draft.amount)} off` : why ? `it does not apply (${why.reason})` : 'it does not apply'}; total ${money(res.total)}.`,
    draft ? 'ok' : 'warn',
  );
}

$('btn-try').addEventListener('click', () => void openTry().then(runTry));
$('try-run').addEventListener('click', () => void runTry());
$('try-close').addEventListener('click', () => {
  $('try').hidden = true;
  document.body.classList.remove('trying');
});

// ---------------------------------------------------------------------------
// Reports (editor/src/reports.ts): the replay uses the draft being edited.

const reports = new ReportsPage({ api, draft: () => (doc && !doc.readOnly ? { text: doc.model.getValue(), path: doc.file, id: doc.id } : null) });
$('btn-reports').addEventListener('click', () => void reports.open());

// ---------------------------------------------------------------------------
// Start

async function start(): Promise<void> {
  try {
    await refreshList();
    const store = await api.rule('store').catch(() => null);
    const c = store ? /^currency:\s*["']?([A-Z]{3})/m.exec(store.text)?.[1] : undefined;
    if (c) {
      currency = c;
      digits = currencyDigits(c) ?? 2;
    }
    status(api.hasKey ? 'Ready.' : 'Ready (development mode: no key needed).');
    const wanted = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (wanted && list?.rules.some((r) => r.id === wanted)) await openRule(wanted);
  } catch (err) {
    status(`The editor cannot reach the service: ${failureText(err)}`, 'error');
  }
}

void start();

// For the end-to-end test and the curious: read-only handles.
Object.assign(window, { __editor: { editor, monaco, reports, markers: () => (editor.getModel() ? monaco.editor.getModelMarkers({ resource: editor.getModel()!.uri }) : []) } });
