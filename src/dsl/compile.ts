// Rule documents -> compiled ruleset, in named stages:
//   parse (YAML/JSON with positions) -> shape (JSON Schema) -> store policy -> meaning (per rule)
//   -> cross-file (duplicate ids and codes) -> build (json-rules-engine rule + pricing action)
//   -> version (content hash).
// Every problem becomes a sorted Diagnostic; nothing here touches the filesystem or the clock.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { currencyDigits, decimalToScaled } from '../domain/money.js';
import {
  isValidTimeZone,
  minutesOfDay,
  nextDay,
  parseDateTime,
  toEpoch,
  wallToEpoch,
} from '../domain/time.js';
import type {
  CompiledDiscount,
  ConditionNode,
  Diagnostic,
  DiagnosticCode,
  EngineCondition,
  EngineRule,
  ItemSelector,
  PricingAction,
  RuleDocument,
  ScheduleInfo,
  Severity,
  StorePolicy,
  StorePolicyDocument,
} from '../domain/types.js';
import { checkPos } from '../pos/check.js';
import { findProfile, knownProfileIds, NO_POS } from '../pos/profiles.js';
import { describe, schemaIssues, validators } from './schemas.js';
import { parseSource, type SourceDocument } from './source.js';

export interface RuleSource {
  path: string;
  text: string;
}

/** Facts a rule's `conditions` may use. */
export const USER_FACTS = ['cart', 'customer', 'time'] as const;
/** The json-rules-engine operators a rule's `conditions` may use. */
export const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;
/** Ids that would clash with the rules directory's own files and folders. */
export const RESERVED_IDS = ['store', 'tests', 'carts', 'archive'] as const;

export interface CompiledRuleset {
  /** Content hash of the compiled discounts and the store policy. */
  version: string;
  policy: StorePolicy;
  /** Sorted by id. */
  discounts: CompiledDiscount[];
}

export interface CompileResult {
  ruleset: CompiledRuleset | null;
  diagnostics: Diagnostic[];
}

export const DEFAULT_POLICY: StorePolicyDocument = { store: 'default', timezone: 'UTC', currency: 'USD' };

export interface CompileOptions {
  /** Check rules against the store's POS profile (default true). */
  posChecks?: boolean;
  /**
   * Include the POS discount ID checks (default true). The POS sheet turns them off: it is the
   * checklist for creating the discounts whose IDs are still missing.
   */
  posIdChecks?: boolean;
  /**
   * SHA-256 of a UTF-8 text as hex, for the ruleset version. Default: a pure-JS implementation
   * that also runs in the browser; the loader passes Node's crypto (the same digest, faster).
   */
  sha256Hex?: (text: string) => string;
}

export interface StoreResult {
  /** The policy, or null when store.yaml has errors. */
  policy: StorePolicy | null;
  /** The policy rules are checked against: the store's, or the defaults when it is missing or broken. */
  effective: StorePolicy;
  diagnostics: Diagnostic[];
}

/** What one rule file compiles to on its own; the cross-file checks happen in linkRuleset. */
export interface FileResult {
  path: string;
  diagnostics: Diagnostic[];
  /** The compiled discount when the file has no error of its own. */
  discount: CompiledDiscount | null;
  /** The raw id and code (when they are strings) and where they are written, for the cross-file checks. */
  id: { value: string; line: number; col: number } | null;
  code: { value: string; line: number; col: number } | null;
}

/** All stages: store policy, each rule file, then the link (cross-file checks, order, version). */
export function compileRuleset(
  input: { store: RuleSource | null; storePath?: string; rules: RuleSource[] },
  options: CompileOptions = {},
): CompileResult {
  const store = compileStorePolicy(input.store, input.storePath ?? 'store.yaml');
  const files = [...input.rules].sort((a, b) => cmp(a.path, b.path)).map((r) => compileRuleFile(r, store.effective, options));
  return linkRuleset(store, files, options);
}

export function compileStorePolicy(source: RuleSource | null, storePath: string): StoreResult {
  const diagnostics: Diagnostic[] = [];
  const policy = compileStore(source, storePath, diagnostics);
  return { policy, effective: policy ?? compilePolicyValues(DEFAULT_POLICY), diagnostics };
}

/** Parse, shape and meaning checks, and the build, for one rule file. Pure; files are independent. */
export function compileRuleFile(source: RuleSource, policy: StorePolicy, options: CompileOptions = {}): FileResult {
  const src = parseSource(source.path, source.text);
  const result: FileResult = { path: source.path, diagnostics: [...src.diagnostics], discount: null, id: null, code: null };
  if (src.diagnostics.length) return result;
  const issues = schemaIssues(validators.rule(src.value) ? null : validators.rule.errors, src.value);
  for (const i of issues) result.diagnostics.push(diag(src, i.pointer, 'rule_schema_error', i.message));
  // Meaning checks run even when the shape is wrong, on whatever parts are well-formed, so an
  // author sees every problem at once.
  const raw = (src.value ?? {}) as Record<string, unknown>;
  meaningChecks(raw, src, policy, result.diagnostics, options);
  if (typeof raw.id === 'string') result.id = { value: raw.id, ...src.locate(['id']) };
  if (typeof raw.code === 'string') result.code = { value: raw.code, ...src.locate(['code']) };
  if (!result.diagnostics.some((d) => d.severity === 'error')) result.discount = buildDiscount(raw as unknown as RuleDocument, src, policy);
  return result;
}

/**
 * The link stage: duplicate ids and codes across files (the first file by path keeps them; later
 * ones are errors), sorted diagnostics, discounts in id order, and the version. The result does
 * not depend on the order of `files`.
 */
export function linkRuleset(store: StoreResult, files: readonly FileResult[], options: CompileOptions = {}): CompileResult {
  const diagnostics: Diagnostic[] = [...store.diagnostics];
  const byId = new Map<string, string>();
  const byCode = new Map<string, string>();
  const ordered = [...files].sort((a, b) => cmp(a.path, b.path));
  for (const f of ordered) {
    diagnostics.push(...f.diagnostics);
    if (f.id) {
      const first = byId.get(f.id.value);
      if (first) diagnostics.push({ path: f.path, line: f.id.line, col: f.id.col, severity: 'error', code: 'duplicate_id', message: `id '${f.id.value}' is also used by ${first}` });
      else byId.set(f.id.value, f.path);
    }
    if (f.code) {
      const norm = normalizeCode(f.code.value);
      const other = byCode.get(norm);
      if (other)
        diagnostics.push({
          path: f.path,
          line: f.code.line,
          col: f.code.col,
          severity: 'error',
          code: 'duplicate_code',
          message: `code '${f.code.value}' is also used by ${other} (codes are case-insensitive)`,
        });
      else byCode.set(norm, f.path);
    }
  }
  sortDiagnostics(diagnostics);
  if (!store.policy || diagnostics.some((d) => d.severity === 'error')) return { ruleset: null, diagnostics };
  const discounts = ordered.map((f) => f.discount!).sort((a, b) => cmp(a.id, b.id));
  const version = rulesetVersion(store.policy, discounts, options.sha256Hex ?? pureSha256Hex);
  return { ruleset: { version, policy: store.policy, discounts }, diagnostics };
}

// ---------------------------------------------------------------------------
// Store policy

function compileStore(source: RuleSource | null, storePath: string, diagnostics: Diagnostic[]): StorePolicy | null {
  if (!source) {
    diagnostics.push({
      path: storePath,
      line: 1,
      col: 1,
      severity: 'warning',
      code: 'store_policy_missing',
      message: `no store policy: using store 'default', timezone UTC, currency USD`,
    });
    return compilePolicyValues(DEFAULT_POLICY);
  }
  const src = parseSource(source.path, source.text);
  diagnostics.push(...src.diagnostics);
  if (src.diagnostics.length) return null;
  const issues = schemaIssues(validators.store(src.value) ? null : validators.store.errors, src.value);
  for (const i of issues) diagnostics.push(diag(src, i.pointer, 'rule_schema_error', i.message));
  let ok = issues.length === 0;
  const doc = (isObject(src.value) ? src.value : {}) as Partial<StorePolicyDocument>;
  if (typeof doc.timezone === 'string' && !isValidTimeZone(doc.timezone)) {
    diagnostics.push(diag(src, ['timezone'], 'rule_schema_error', `timezone: unknown IANA time zone '${doc.timezone}'`));
    ok = false;
  }
  if (typeof doc.pos === 'string' && doc.pos !== NO_POS && !findProfile(doc.pos)) {
    diagnostics.push(diag(src, ['pos'], 'pos_unknown_profile', `pos: unknown POS profile '${doc.pos}' (known: ${knownProfileIds().join(', ')})`));
    ok = false;
  }
  const digits = typeof doc.currency === 'string' ? currencyDigits(doc.currency) : null;
  if (typeof doc.currency === 'string' && /^[A-Z]{3}$/.test(doc.currency) && digits === null) {
    diagnostics.push(diag(src, ['currency'], 'rule_schema_error', `currency: unknown ISO 4217 currency '${doc.currency}'`));
    ok = false;
  }
  if (typeof doc.maxDiscountPercent === 'number' && Number.isFinite(doc.maxDiscountPercent) && decimalToScaled(doc.maxDiscountPercent, 2) === null) {
    diagnostics.push(diag(src, ['maxDiscountPercent'], 'rule_schema_error', `maxDiscountPercent: ${doc.maxDiscountPercent} must have at most 2 decimals`));
    ok = false;
  }
  if (digits !== null && typeof doc.minimumUnitPrice === 'number' && doc.minimumUnitPrice >= 0 && decimalToScaled(doc.minimumUnitPrice, digits) === null) {
    diagnostics.push(diag(src, ['minimumUnitPrice'], 'rule_schema_error', `minimumUnitPrice: ${doc.minimumUnitPrice} has more decimals than ${doc.currency} allows (${digits})`));
    ok = false;
  }
  return ok ? compilePolicyValues(doc as StorePolicyDocument) : null;
}

function compilePolicyValues(doc: StorePolicyDocument): StorePolicy {
  const minorDigits = currencyDigits(doc.currency) ?? 2;
  return {
    store: doc.store,
    timezone: doc.timezone,
    currency: doc.currency,
    minorDigits,
    combine: doc.combine ?? 'best-for-customer',
    // Checked exact by compileStore (DEFAULT_POLICY has neither field).
    minimumUnitPrice: decimalToScaled(doc.minimumUnitPrice ?? 0, minorDigits)!,
    maxDiscountBps: decimalToScaled(doc.maxDiscountPercent ?? 100, 2)!,
    pos: doc.pos ?? 'none',
  };
}

// ---------------------------------------------------------------------------
// One rule: meaning checks and the build

type Report = (pointer: (string | number)[], code: DiagnosticCode, message: string) => void;

/** Meaning checks on a (possibly malformed) rule document: each looks only at well-typed parts. */
function meaningChecks(doc: Record<string, unknown>, src: SourceDocument, policy: StorePolicy, out: Diagnostic[], options: CompileOptions): void {
  const error: Report = (pointer, code, message) => out.push(diag(src, pointer, code, message));
  const fileId = baseName(src.path);
  if (typeof doc.id === 'string') {
    if (doc.id !== fileId) error(['id'], 'id_mismatch', `id '${doc.id}' does not match the file name '${fileId}'`);
    if ((RESERVED_IDS as readonly string[]).includes(doc.id)) error(['id'], 'reserved_id', `id '${doc.id}' is reserved (${RESERVED_IDS.join(', ')})`);
  }
  const keys: ('minPurchase' | 'maxDiscount' | 'value')[] = doc.type === 'fixed' ? ['value', 'minPurchase', 'maxDiscount'] : ['minPurchase', 'maxDiscount'];
  for (const key of keys) {
    const v = doc[key];
    // Out-of-range and non-finite values are the schema's to report; this is about decimals only.
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e9 && decimalToScaled(v, policy.minorDigits) === null)
      error([key], 'rule_schema_error', `${key}: ${v} has more decimals than ${policy.currency} allows (${policy.minorDigits})`);
  }
  // Percentages are exact basis points: at most 2 decimals, checked exactly (the schema's
  // multipleOf tolerates float noise such as 10.000000000001).
  const percent = (pointer: (string | number)[], v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 100 && decimalToScaled(v, 2) === null)
      error(pointer, 'rule_schema_error', `${describe(pointer)}: ${v} must have at most 2 decimals`);
  };
  if (doc.type === 'percentage') percent(['value'], doc.value);
  if (isObject(doc.bogo)) percent(['bogo', 'percentOff'], doc.bogo.percentOff);
  if (isObject(doc.schedule)) checkSchedule(doc.schedule, policy, error);
  const profile = options.posChecks !== false ? findProfile(policy.pos) : null;
  if (profile)
    checkPos(doc, profile, (pointer, code, message, severity) => out.push(diag(src, pointer, code, message, severity)), options.posIdChecks !== false);
  if (isObject(doc.conditions)) checkConditions(doc.conditions, ['conditions'], error);
}

/** Builds a discount from a document that passed every check. */
function buildDiscount(doc: RuleDocument, src: SourceDocument, policy: StorePolicy): CompiledDiscount {
  const minor = (v: number | undefined) => (v === undefined ? null : decimalToScaled(v, policy.minorDigits)!);
  const minPurchase = minor(doc.minPurchase);
  const maxDiscount = minor(doc.maxDiscount);
  let action: PricingAction;
  let sortValue = 0;
  if (doc.type === 'percentage') {
    const rateBps = decimalToScaled(doc.value!, 2)!;
    action = { type: 'percentage', rateBps, maxDiscount };
    sortValue = rateBps;
  } else if (doc.type === 'fixed') {
    const amount = minor(doc.value)!;
    action = { type: 'fixed', amount, maxDiscount };
    sortValue = amount;
  } else {
    const b = doc.bogo!;
    action = {
      type: 'bogo',
      buy: b.buy,
      get: b.get,
      percentOffBps: decimalToScaled(b.percentOff ?? 100, 2)!,
      maxApplications: b.maxApplications ?? null,
      maxDiscount,
      rewardAppliesTo: selector(b.rewardAppliesTo ?? doc.appliesTo),
    };
  }
  const tiers = doc.customer?.tiers ? [...new Set(doc.customer.tiers.map((t) => t.trim().toLowerCase()))].sort() : null;
  const discount: CompiledDiscount = {
    id: doc.id,
    name: doc.name,
    type: doc.type,
    enabled: doc.enabled ?? true,
    code: doc.code !== undefined ? normalizeCode(doc.code) : null,
    displayCode: doc.code ?? null,
    stackable: doc.stackable ?? false,
    priority: doc.priority ?? 0,
    sortValue,
    appliesTo: selector(doc.appliesTo),
    minPurchase: minPurchase && minPurchase > 0 ? minPurchase : null,
    usageLimit: doc.usageLimit ?? null,
    perCustomerLimit: doc.perCustomerLimit ?? null,
    action,
    posDiscountId: doc.pos?.discountId ?? null,
    tiers,
    customerRequired: doc.customer?.required === true || tiers !== null,
    schedule: doc.schedule ? scheduleInfo(doc.schedule, policy) : null,
    rule: null as unknown as EngineRule,
    source: src.path,
  };
  discount.rule = buildEngineRule(discount, doc.conditions ?? null);
  return discount;
}

function scheduleInstant(text: string, key: 'start' | 'end', policy: StorePolicy): number | null {
  const p = parseDateTime(text);
  if (!p) return null;
  if (p.dateOnly && key === 'end') return wallToEpoch(nextDay(p), policy.timezone); // includes that whole day
  return toEpoch(p, policy.timezone);
}

function checkSchedule(s: Record<string, unknown>, policy: StorePolicy, error: Report): void {
  const instants: Partial<Record<'start' | 'end', number>> = {};
  for (const key of ['start', 'end'] as const) {
    const text = s[key];
    if (typeof text !== 'string') continue;
    const ms = scheduleInstant(text, key, policy);
    if (ms === null) error(['schedule', key], 'invalid_schedule', `schedule.${key}: '${text}' is not a real date or date-time`);
    else instants[key] = ms;
  }
  if (instants.start !== undefined && instants.end !== undefined && instants.end <= instants.start)
    error(['schedule', 'end'], 'invalid_schedule', `schedule.end (${s.end}) is not after schedule.start (${s.start})`);
  const hours = s.hours;
  if (isObject(hours) && typeof hours.from === 'string' && hours.from === hours.to)
    error(['schedule', 'hours'], 'invalid_schedule', `schedule.hours: from and to are both ${hours.from}, so the window is empty`);
}

function scheduleInfo(s: NonNullable<RuleDocument['schedule']>, policy: StorePolicy): ScheduleInfo {
  return {
    start: s.start ?? null,
    end: s.end ?? null,
    startMs: s.start !== undefined ? scheduleInstant(s.start, 'start', policy) : null,
    endMs: s.end !== undefined ? scheduleInstant(s.end, 'end', policy) : null,
    days: s.days ? [...s.days] : null,
    hours: s.hours ? { from: s.hours.from, to: s.hours.to } : null,
  };
}

function checkConditions(node: Record<string, unknown>, pointer: (string | number)[], error: Report): void {
  for (const op of ['all', 'any'] as const) {
    const list = node[op];
    if (Array.isArray(list)) list.forEach((c, i) => isObject(c) && checkConditions(c, [...pointer, op, i], error));
  }
  if (isObject(node.not)) checkConditions(node.not, [...pointer, 'not'], error);
  if ('all' in node || 'any' in node || 'not' in node) return;
  const where = describe(pointer);
  if (typeof node.fact === 'string' && !(USER_FACTS as readonly string[]).includes(node.fact))
    error([...pointer, 'fact'], 'unknown_fact', `${where}.fact: unknown fact '${node.fact}' (known: ${USER_FACTS.join(', ')})`);
  if (typeof node.operator !== 'string') return;
  if (!(OPERATORS as readonly string[]).includes(node.operator)) {
    error([...pointer, 'operator'], 'unknown_operator', `${where}.operator: unknown operator '${node.operator}' (known: ${OPERATORS.join(', ')})`);
    return;
  }
  if (!('value' in node)) return;
  const listOperator = node.operator === 'in' || node.operator === 'notIn';
  if (listOperator && !Array.isArray(node.value))
    error([...pointer, 'value'], 'rule_schema_error', `${where}.value: operator '${node.operator}' needs a list`);
  if (!listOperator && Array.isArray(node.value))
    error([...pointer, 'value'], 'rule_schema_error', `${where}.value: operator '${node.operator}' needs a single value, not a list`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// The json-rules-engine rule: one named top-level condition per eligibility check, in the order
// the reasons are reported. Internal facts: clock, session, usage (params.discountId),
// bogo (params.discountId); user facts: cart, customer, time.

function buildEngineRule(d: CompiledDiscount, conditions: ConditionNode | null): EngineRule {
  const checks: EngineCondition[] = [];
  const params = { discountId: d.id };
  const s = d.schedule;
  if (s?.startMs != null)
    checks.push({ name: 'NOT_STARTED', fact: 'clock', path: '$.epochMs', operator: 'greaterThanInclusive', value: s.startMs });
  if (s?.endMs != null) checks.push({ name: 'EXPIRED', fact: 'clock', path: '$.epochMs', operator: 'lessThan', value: s.endMs });
  if (s && (s.days || s.hours)) {
    const dayIn = (path: string): EngineCondition[] => (s.days ? [{ fact: 'clock', path, operator: 'in', value: s.days }] : []);
    let window: EngineCondition;
    if (!s.hours) window = dayIn('$.dayOfWeek')[0];
    else {
      const from = minutesOfDay(s.hours.from);
      const to = minutesOfDay(s.hours.to);
      const atOrAfter: EngineCondition = { fact: 'clock', path: '$.minuteOfDay', operator: 'greaterThanInclusive', value: from };
      const before: EngineCondition = { fact: 'clock', path: '$.minuteOfDay', operator: 'lessThan', value: to };
      window =
        from < to
          ? { all: [...dayIn('$.dayOfWeek'), atOrAfter, before] }
          : // Wraps midnight: the early-morning part belongs to the previous day's window.
            { any: [{ all: [...dayIn('$.dayOfWeek'), atOrAfter] }, { all: [...dayIn('$.previousDayOfWeek'), before] }] };
    }
    checks.push({ ...window, name: 'OUTSIDE_SCHEDULE' });
  }
  if (d.usageLimit !== null)
    checks.push({ name: 'USAGE_LIMIT_REACHED', fact: 'usage', params, path: '$.used', operator: 'lessThan', value: d.usageLimit });
  const customerChecks: EngineCondition[] = [];
  if (d.customerRequired) customerChecks.push({ fact: 'session', path: '$.hasCustomer', operator: 'equal', value: true });
  if (d.perCustomerLimit !== null) customerChecks.push({ fact: 'session', path: '$.hasCustomerId', operator: 'equal', value: true });
  if (customerChecks.length === 1) checks.push({ ...customerChecks[0], name: 'CUSTOMER_REQUIRED' });
  if (customerChecks.length > 1) checks.push({ all: customerChecks, name: 'CUSTOMER_REQUIRED' });
  if (d.tiers) checks.push({ name: 'TIER_NOT_ELIGIBLE', fact: 'session', path: '$.tier', operator: 'in', value: d.tiers });
  if (d.perCustomerLimit !== null)
    checks.push({ name: 'CUSTOMER_LIMIT_REACHED', fact: 'usage', params, path: '$.customerUsed', operator: 'lessThan', value: d.perCustomerLimit });
  if (d.minPurchase !== null)
    checks.push({ name: 'MIN_PURCHASE_NOT_MET', fact: 'cart', path: '$.subtotal', operator: 'greaterThanInclusive', value: d.minPurchase });
  if (d.appliesTo) checks.push({ any: selectorConditions(d.appliesTo), name: 'NO_ELIGIBLE_ITEMS' });
  if (d.action.type === 'bogo')
    checks.push({ name: 'QUANTITY_NOT_MET', fact: 'bogo', params, operator: 'greaterThanInclusive', value: 1 });
  if (conditions) {
    const c = toEngineCondition(conditions);
    checks.push('fact' in c ? { all: [c], name: 'CONDITIONS_NOT_MET' } : { ...c, name: 'CONDITIONS_NOT_MET' });
  }
  return { name: d.id, priority: 1, conditions: { all: checks }, event: { type: 'eligible', params: { discountId: d.id } } };
}

function selectorConditions(sel: ItemSelector): EngineCondition[] {
  return [
    ...(sel.categories ?? []).map((c): EngineCondition => ({ fact: 'cart', path: '$.categories', operator: 'contains', value: c })),
    ...(sel.products ?? []).map((p): EngineCondition => ({ fact: 'cart', path: '$.productIds', operator: 'contains', value: p })),
  ];
}

function toEngineCondition(node: ConditionNode): EngineCondition {
  if ('all' in node) return { all: node.all.map(toEngineCondition) };
  if ('any' in node) return { any: node.any.map(toEngineCondition) };
  if ('not' in node) return { not: toEngineCondition(node.not) };
  const leaf: EngineCondition = { fact: node.fact, operator: node.operator, value: node.value };
  if (node.path !== undefined) leaf.path = node.path;
  return leaf;
}

// ---------------------------------------------------------------------------
// Helpers

export function normalizeCode(code: string): string {
  return code.trim().toLowerCase();
}

function selector(sel: ItemSelector | undefined): ItemSelector | null {
  if (!sel) return null;
  const out: ItemSelector = {};
  if (sel.categories) out.categories = [...sel.categories];
  if (sel.products) out.products = [...sel.products];
  return out;
}

function baseName(path: string): string {
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.(ya?ml|json)$/i, '');
}

function diag(src: SourceDocument, pointer: readonly (string | number)[], code: DiagnosticCode, message: string, severity: Severity = 'error'): Diagnostic {
  const { line, col } = src.locate(pointer);
  return { path: src.path, line, col, severity, code, message };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort(
    (a, b) => cmp(a.path, b.path) || a.line - b.line || a.col - b.col || cmp(a.code, b.code) || cmp(a.message, b.message),
  );
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.path}:${d.line}:${d.col}: ${d.severity} ${d.code}: ${d.message}`;
}

/**
 * Content hash of the compiled ruleset and store policy. Every object hashed here is built by this
 * module with a fixed key order (never copied from a document), and discounts are sorted by id, so
 * plain JSON.stringify is canonical: equal content gives equal versions, whatever the file order,
 * the key order or the comments in the sources. The source path is not part of the content.
 */
function pureSha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

function rulesetVersion(policy: StorePolicy, discounts: CompiledDiscount[], sha256Hex: (text: string) => string): string {
  // Without a replacer (JSON.stringify calls one for every key): drop `source` by shallow copies.
  const content = JSON.stringify({ policy, discounts: discounts.map(({ source: _source, ...rest }) => rest) });
  return sha256Hex(content).slice(0, 16);
}
