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
import { formatMoney } from '../domain/money.js';
import { ITEM_ATTRIBUTES } from '../domain/types.js';
import type {
  CompiledDiscount,
  ConditionNode,
  Diagnostic,
  DiagnosticCode,
  EngineCondition,
  EngineRule,
  ItemMatch,
  ItemSelector,
  NeverDiscount,
  PricingAction,
  RuleDocument,
  ScheduleInfo,
  Severity,
  TierTable,
  StorePolicy,
  StorePolicyDocument,
} from '../domain/types.js';
import { checkPos } from '../pos/check.js';
import { findProfile, knownProfileIds, NO_POS } from '../pos/profiles.js';
import { describe, schemaIssues, validators } from './schemas.js';
import { parseSource, type ParserKind, type SourceDocument } from './source.js';
import { secretProblem } from '../events/secret.js';
import { compileSettings, DEFAULT_SETTINGS, type StoreSettings } from './settings.js';

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
/** Rule test files (`discounts test`); they belong in the rules directory's tests/ folder. */
export const TEST_FILE = /\.test\.(ya?ml|json)$/i;
/** Ids that would clash with the rules directory's own files and folders. */
export const RESERVED_IDS = ['store', 'tests', 'carts', 'archive'] as const;

export interface CompiledRuleset {
  /** Content hash of the compiled discounts and the store policy. */
  version: string;
  policy: StorePolicy;
  /** Sorted by id. */
  discounts: CompiledDiscount[];
  /** The store's operational settings (src/dsl/settings.ts): not part of `version`. */
  settings: StoreSettings;
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
  /**
   * How rule files are parsed: 'fast' (default; positions built only where a diagnostic needs
   * them) or 'positioned' (the yaml document for every file). Both give the same results; the
   * second is for the differential test and the compile benchmark's baseline.
   */
  parser?: ParserKind;
  /**
   * The environment the service will run with, to check that every webhook secret named in the
   * store policy is set and well formed (a located error otherwise). The compiler never reads
   * process.env itself: the service's loader passes it at load and reload; without it (validate,
   * the editor) the secrets are not checked.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface StoreResult {
  /** The policy, or null when store.yaml has errors. */
  policy: StorePolicy | null;
  /** The policy rules are checked against: the store's, or the defaults when it is missing or broken. */
  effective: StorePolicy;
  /** The operational settings (defaults when store.yaml is missing or broken). */
  settings: StoreSettings;
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
  const store = compileStorePolicy(input.store, input.storePath ?? 'store.yaml', options);
  const files = [...input.rules].sort((a, b) => cmp(a.path, b.path)).map((r) => compileRuleFile(r, store.effective, options));
  return linkRuleset(store, files, options);
}

export function compileStorePolicy(source: RuleSource | null, storePath: string, options: Pick<CompileOptions, 'env'> = {}): StoreResult {
  const diagnostics: Diagnostic[] = [];
  const settings: { value: StoreSettings } = { value: DEFAULT_SETTINGS };
  const policy = compileStore(source, storePath, diagnostics, settings, options.env ?? null);
  return { policy, effective: policy ?? compilePolicyValues(DEFAULT_POLICY), settings: settings.value, diagnostics };
}

/** Parse, shape and meaning checks, and the build, for one rule file. Pure; files are independent. */
export function compileRuleFile(source: RuleSource, policy: StorePolicy, options: CompileOptions = {}): FileResult {
  if (TEST_FILE.test(source.path)) return misplacedTestFile(source);
  const src = parseSource(source.path, source.text, options.parser);
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
 * The link stage: duplicate ids and codes across files (reported on every file that uses them, each
 * naming the others), sorted diagnostics, discounts in id order, and the version. The result does
 * not depend on the order of `files`.
 */
export function linkRuleset(store: StoreResult, files: readonly FileResult[], options: CompileOptions = {}): CompileResult {
  const ordered = [...files].sort((a, b) => cmp(a.path, b.path));
  const diagnostics: Diagnostic[] = [...store.diagnostics];
  for (const f of ordered) diagnostics.push(...f.diagnostics);
  for (const c of crossFileChecks(ordered)) diagnostics.push(c.diagnostic);
  sortDiagnostics(diagnostics);
  if (!store.policy || diagnostics.some((d) => d.severity === 'error')) return { ruleset: null, diagnostics };
  const discounts = ordered.map((f) => f.discount!).sort((a, b) => cmp(a.id, b.id));
  const version = rulesetVersion(store.policy, discounts, options.sha256Hex ?? pureSha256Hex);
  return { ruleset: { version, policy: store.policy, discounts, settings: store.settings }, diagnostics };
}

/** A cross-file diagnostic and the files it is about (its own and the others it names). */
export interface CrossFileDiagnostic {
  diagnostic: Diagnostic;
  /** The file the diagnostic is located in. */
  file: FileResult;
  /** The files sharing the id or code, `file` included. */
  files: FileResult[];
}

/**
 * Duplicate ids and codes (codes compared trimmed and case-insensitively): one error on every file
 * of a group, naming the other files, so whoever adds the second file sees it there.
 */
export function crossFileChecks(files: readonly FileResult[]): CrossFileDiagnostic[] {
  const out: CrossFileDiagnostic[] = [];
  const ordered = [...files].sort((a, b) => cmp(a.path, b.path));
  const groups = (key: (f: FileResult) => string | null) => {
    const map = new Map<string, FileResult[]>();
    for (const f of ordered) {
      const k = key(f);
      if (k === null) continue;
      const list = map.get(k);
      if (list) list.push(f);
      else map.set(k, [f]);
    }
    return [...map.values()].filter((g) => g.length > 1);
  };
  for (const group of groups((f) => f.id?.value ?? null)) {
    for (const f of group) {
      const others = group.filter((o) => o !== f).map((o) => o.path);
      out.push({
        diagnostic: { path: f.path, line: f.id!.line, col: f.id!.col, severity: 'error', code: 'duplicate_id', message: `id '${f.id!.value}' is also used by ${list(others)}` },
        file: f,
        files: group,
      });
    }
  }
  for (const group of groups((f) => (f.code ? normalizeCode(f.code.value) : null))) {
    for (const f of group) {
      const others = group.filter((o) => o !== f).map((o) => (o.code!.value === f.code!.value ? o.path : `${o.path} as '${o.code!.value}'`));
      const spelt = group.some((o) => o.code!.value !== f.code!.value) ? ' (codes are case-insensitive)' : '';
      out.push({
        diagnostic: {
          path: f.path,
          line: f.code!.line,
          col: f.code!.col,
          severity: 'error',
          code: 'duplicate_code',
          message: `code '${f.code!.value}' is also used by ${list(others)}${spelt}`,
        },
        file: f,
        files: group,
      });
    }
  }
  return out;
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------
// A draft checked in place: `discounts validate FILE`, and the service's validation of an edit

/** A rule file being written: its text and, when it replaces a file, that file's name. */
export interface Draft {
  text: string;
  /** A file name inside the rules directory (`save5.yaml`). Absent: a new file named after the draft's id. */
  path?: string;
}

export type DraftResult =
  | { ok: true; path: string; diagnostics: Diagnostic[] }
  | { ok: false; error: { code: 'draft_path_invalid'; message: string } };

/**
 * Checks a draft as if it were written into a rules directory: the draft replaces the file of the
 * same name (so an edited file never clashes with its old self) or is added as a new file. Returns
 * the diagnostics located in the draft and the cross-file ones that involve it (a duplicate id or
 * code reported on the other file too). A draft named store.yaml replaces the store policy: then
 * every diagnostic of the directory is returned, as the policy changes how every rule is checked.
 * Pure: the caller reads the directory (`sources`: paths are the directory joined with file names).
 */
export function checkDraft(sources: { store: RuleSource | null; storePath?: string; rules: RuleSource[] }, draft: Draft, options: CompileOptions = {}): DraftResult {
  const storePath = sources.storePath ?? 'store.yaml';
  const dir = storePath.slice(0, Math.max(storePath.lastIndexOf('/'), storePath.lastIndexOf('\\')) + 1);
  const name = draft.path ?? draftName(draft.text);
  if (!/^[^/\\]+\.(ya?ml|json)$/i.test(name))
    return { ok: false, error: { code: 'draft_path_invalid', message: `path must be a file name in the rules directory ending in .yaml, .yml or .json, not '${name}'` } };
  const path = dir + name;
  if (path === storePath) {
    const result = compileRuleset({ store: { path, text: draft.text }, storePath, rules: sources.rules }, options);
    return { ok: true, path, diagnostics: result.diagnostics };
  }
  const store = compileStorePolicy(sources.store, storePath);
  const siblings = sources.rules.filter((r) => draft.path === undefined || r.path !== path).map((r) => compileRuleFile(r, store.effective, options));
  return { ok: true, path, diagnostics: checkDraftFile(store, siblings, { path, text: draft.text }, options) };
}

/**
 * checkDraft over files already compiled (the service keeps them): `siblings` are the other files
 * of the directory, without the one the draft replaces.
 */
export function checkDraftFile(store: StoreResult, siblings: readonly FileResult[], draft: RuleSource, options: CompileOptions = {}): Diagnostic[] {
  const own = compileRuleFile(draft, store.effective, options);
  const diagnostics = [...own.diagnostics];
  for (const c of crossFileChecks([own, ...siblings])) {
    if (!c.files.includes(own)) continue;
    // The other file's side of the duplicate, unless it has the draft's own path (a new draft
    // named after an existing file): the draft's side already names that file.
    if (c.file !== own && c.file.path === draft.path) continue;
    diagnostics.push(c.diagnostic);
  }
  return sortDiagnostics(diagnostics);
}

/** The file name of a new draft: its id with .json for JSON text, .yaml otherwise. */
function draftName(text: string): string {
  let json = false;
  try {
    JSON.parse(text);
    json = true;
  } catch {
    // YAML (or broken): the parser reports it.
  }
  const value = parseSource(json ? 'draft.json' : 'draft.yaml', text).value;
  const id = isObject(value) && typeof value.id === 'string' && /^[^/\\]+$/.test(value.id) && value.id !== '.' && value.id !== '..' ? value.id : 'draft';
  return `${id}.${json ? 'json' : 'yaml'}`;
}

// ---------------------------------------------------------------------------
// Store policy

function compileStore(
  source: RuleSource | null,
  storePath: string,
  diagnostics: Diagnostic[],
  settings: { value: StoreSettings },
  env: Readonly<Record<string, string | undefined>> | null,
): StorePolicy | null {
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
  if (Array.isArray(doc.webhooks) && !webhookChecks(doc.webhooks, src, env, diagnostics)) ok = false;
  if (!ok) return null;
  settings.value = compileSettings(doc);
  return compilePolicyValues(doc as StorePolicyDocument);
}

/**
 * Meaning checks on `webhooks:` beyond the schema: a URL that parses as http(s), and, when the
 * environment is given, every named secret set and well formed. Looks only at well-typed parts.
 */
function webhookChecks(list: unknown[], src: SourceDocument, env: Readonly<Record<string, string | undefined>> | null, out: Diagnostic[]): boolean {
  let ok = true;
  list.forEach((w, i) => {
    if (!isObject(w)) return;
    // A URL the schema already refused (not http(s)://) is reported once, by the schema.
    if (typeof w.url === 'string' && /^https?:\/\//i.test(w.url)) {
      let url: URL | null = null;
      try {
        url = new URL(w.url);
      } catch {
        // reported below
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') {
        out.push(diag(src, ['webhooks', i, 'url'], 'webhook_url_invalid', `webhooks[${i}].url: '${w.url}' is not an http:// or https:// URL with a host (and no user or password)`));
        ok = false;
      }
    }
    if (!env) return;
    for (const key of ['secretEnv', 'secretEnvPrevious'] as const) {
      const name = w[key];
      if (typeof name !== 'string') continue;
      const value = env[name];
      if (value === undefined || value === '') {
        out.push(diag(src, ['webhooks', i, key], 'webhook_secret_missing', `webhooks[${i}].${key}: the environment variable ${name} is not set`));
        ok = false;
        continue;
      }
      const problem = secretProblem(value);
      if (problem) {
        // Never the value itself: it may be a real secret written wrongly.
        out.push(diag(src, ['webhooks', i, key], 'webhook_secret_invalid', `webhooks[${i}].${key}: the environment variable ${name} ${problem}`));
        ok = false;
      }
    }
  });
  return ok;
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
    neverDiscount: doc.neverDiscount ? neverDiscountValues(doc.neverDiscount) : null,
  };
}

/** The store's neverDiscount with a fixed key order (it is part of the ruleset version). */
function neverDiscountValues(nd: NeverDiscount): NeverDiscount {
  return { ...itemMatch(nd), countTowardMinimum: nd.countTowardMinimum === true };
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
  // Out-of-range and non-finite values are the schema's to report; this is about decimals only.
  const amount = (pointer: (string | number)[], v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e9 && decimalToScaled(v, policy.minorDigits) === null)
      error(pointer, 'rule_schema_error', `${describe(pointer)}: ${v} has more decimals than ${policy.currency} allows (${policy.minorDigits})`);
  };
  const keys: ('minPurchase' | 'maxDiscount' | 'budget' | 'value')[] =
    doc.type === 'fixed' || doc.type === 'price' ? ['value', 'minPurchase', 'maxDiscount', 'budget'] : ['minPurchase', 'maxDiscount', 'budget'];
  for (const key of keys) amount([key], doc[key]);
  if (isObject(doc.bundle)) amount(['bundle', 'price'], doc.bundle.price);
  if (isObject(doc.bogo)) amount(['bogo', 'amountOff'], doc.bogo.amountOff);
  // Percentages are exact basis points: at most 2 decimals, checked exactly (the schema's
  // multipleOf tolerates float noise such as 10.000000000001).
  const percent = (pointer: (string | number)[], v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 100 && decimalToScaled(v, 2) === null)
      error(pointer, 'rule_schema_error', `${describe(pointer)}: ${v} must have at most 2 decimals`);
  };
  if (doc.type === 'percentage') percent(['value'], doc.value);
  if (isObject(doc.bogo)) percent(['bogo', 'percentOff'], doc.bogo.percentOff);
  if (isObject(doc.funding)) percent(['funding', 'percent'], doc.funding.percent);
  pricingChecks(doc, policy, error, (pointer, code, message) => out.push(diag(src, pointer, code, message, 'warning')), amount, percent);
  if (policy.neverDiscount && isObject(doc.appliesTo) && onlyNeverDiscounted(doc.appliesTo as ItemSelector, policy.neverDiscount))
    out.push(
      diag(src, ['appliesTo'], 'never_discounted_only', `appliesTo can only match lines the store never discounts (store.yaml neverDiscount), so this discount never applies`, 'warning'),
    );
  const reward = isObject(doc.bogo) && isObject(doc.bogo.rewardAppliesTo) ? (doc.bogo.rewardAppliesTo as ItemSelector) : null;
  if (policy.neverDiscount && reward && onlyNeverDiscounted(reward, policy.neverDiscount))
    out.push(
      diag(
        src,
        ['bogo', 'rewardAppliesTo'],
        'never_discounted_only',
        `bogo.rewardAppliesTo can only match lines the store never discounts (store.yaml neverDiscount), so there is never a reward`,
        'warning',
      ),
    );
  if (isObject(doc.schedule)) checkSchedule(doc.schedule, policy, error);
  const profile = options.posChecks !== false ? findProfile(policy.pos) : null;
  if (profile)
    checkPos(doc, profile, (pointer, code, message, severity) => out.push(diag(src, pointer, code, message, severity)), options.posIdChecks !== false);
  if (isObject(doc.conditions)) checkConditions(doc.conditions, ['conditions'], error);
}

/**
 * The pricing terms' meaning: tiers (one kind, one of minQuantity or minSubtotal per tier, strictly
 * increasing, not together with value), maxUnits only where units are chosen, one of percentOff and
 * amountOff; warnings where a tier gives less than the one below it, or where the store's floor
 * keeps a set or bundle price from ever being reached on cannabis lines.
 */
function pricingChecks(
  doc: Record<string, unknown>,
  policy: StorePolicy,
  error: Report,
  warn: Report,
  amount: (pointer: (string | number)[], v: unknown) => void,
  percent: (pointer: (string | number)[], v: unknown) => void,
): void {
  const money = (m: number) => formatMoney(m, policy.currency, policy.minorDigits);
  const floor = policy.minimumUnitPrice;
  if (Array.isArray(doc.tiers) && (doc.type === 'percentage' || doc.type === 'fixed')) {
    if (doc.value !== undefined) error(['value'], 'invalid_pricing', `value: not allowed with tiers (each tier has its own value); remove value or tiers`);
    let kind: 'minQuantity' | 'minSubtotal' | null = null;
    let kindAt = -1;
    let prev: { at: number; min: number; value: number } | null = null;
    doc.tiers.forEach((t, i) => {
      if (!isObject(t)) return;
      const has = (['minQuantity', 'minSubtotal'] as const).filter((k) => k in t);
      if (has.length !== 1) {
        const why = has.length === 0 ? 'needs minQuantity (units) or minSubtotal (an amount)' : 'has both minQuantity and minSubtotal; give one';
        error(['tiers', i], 'invalid_pricing', `tiers[${i}]: ${why}`);
        return;
      }
      const k = has[0];
      if (kind === null) {
        kind = k;
        kindAt = i;
      } else if (k !== kind) {
        error(['tiers', i, k], 'invalid_pricing', `tiers[${i}].${k}: every tier must count the same way; tiers[${kindAt}] uses ${kind}`);
        return;
      }
      if (k === 'minSubtotal') amount(['tiers', i, 'minSubtotal'], t.minSubtotal);
      if (doc.type === 'percentage') percent(['tiers', i, 'value'], t.value);
      else amount(['tiers', i, 'value'], t.value);
      const min = t[k];
      const value = t.value;
      if (typeof min !== 'number' || typeof value !== 'number') return;
      if (prev && min <= prev.min)
        error(['tiers', i, k], 'invalid_pricing', `tiers[${i}].${k}: ${min} is not above tiers[${prev.at}].${k} (${prev.min}); tiers must be strictly increasing`);
      else if (prev && value <= prev.value)
        warn(['tiers', i, 'value'], 'tier_value_decreasing', `tiers[${i}].value: ${value} is not above tiers[${prev.at}].value (${prev.value}), so buying more does not save more`);
      prev = { at: i, min, value };
    });
  }
  if (doc.maxUnits !== undefined && doc.type === 'fixed' && doc.per !== 'unit')
    error(['maxUnits'], 'invalid_pricing', `maxUnits: needs per: unit (a fixed amount off the lines together has no units to choose)`);
  if (isObject(doc.bogo) && 'percentOff' in doc.bogo && 'amountOff' in doc.bogo)
    error(['bogo', 'amountOff'], 'invalid_pricing', `bogo.amountOff: give percentOff or amountOff, not both`);
  if (floor > 0 && doc.type === 'price' && typeof doc.value === 'number') {
    const price = decimalToScaled(doc.value, policy.minorDigits);
    if (price !== null && price < floor)
      warn(['value'], 'floor_above_price', `value: ${money(price)} is below the store's minimumUnitPrice (${money(floor)}): cannabis units stop at ${money(floor)}`);
  }
  if (floor > 0 && doc.type === 'bundle' && isObject(doc.bundle) && typeof doc.bundle.price === 'number' && Number.isInteger(doc.bundle.quantity)) {
    const price = decimalToScaled(doc.bundle.price, policy.minorDigits);
    const q = doc.bundle.quantity as number;
    if (price !== null && price < q * floor)
      warn(['bundle', 'price'], 'floor_above_price', `bundle.price: ${money(price)} is below ${q} x the store's minimumUnitPrice (${money(q * floor)}): a group of cannabis units costs at least that`);
  }
}

/** Builds a discount from a document that passed every check. */
function buildDiscount(doc: RuleDocument, src: SourceDocument, policy: StorePolicy): CompiledDiscount {
  const minor = (v: number | undefined) => (v === undefined ? null : decimalToScaled(v, policy.minorDigits)!);
  const minPurchase = minor(doc.minPurchase);
  const maxDiscount = minor(doc.maxDiscount);
  const budget = minor(doc.budget);
  let action: PricingAction;
  let sortValue = 0;
  // A tiered rule ranks (and is priced, until a cart picks its tier) by its first tier's value.
  const tierTable = (scale: (v: number) => number): TierTable | undefined =>
    doc.tiers && {
      kind: doc.tiers[0].minQuantity !== undefined ? 'quantity' : 'subtotal',
      tiers: doc.tiers.map((t) => ({ min: t.minQuantity ?? minor(t.minSubtotal)!, value: scale(t.value) })),
    };
  if (doc.type === 'percentage') {
    const table = tierTable((v) => decimalToScaled(v, 2)!);
    const rateBps = table ? table.tiers[0].value : decimalToScaled(doc.value!, 2)!;
    action = table ? { type: 'percentage', rateBps, maxDiscount, tiers: table } : { type: 'percentage', rateBps, maxDiscount };
    sortValue = rateBps;
  } else if (doc.type === 'fixed') {
    const table = tierTable((v) => minor(v)!);
    const amount = table ? table.tiers[0].value : minor(doc.value)!;
    const fixed: Extract<PricingAction, { type: 'fixed' }> = { type: 'fixed', amount, maxDiscount };
    if (doc.per === 'unit') fixed.perUnit = true;
    if (doc.per === 'unit' && doc.maxUnits !== undefined) fixed.maxUnits = doc.maxUnits;
    if (table) fixed.tiers = table;
    action = fixed;
    sortValue = amount;
  } else if (doc.type === 'price') {
    const price = minor(doc.value)!;
    action = { type: 'price', price, maxUnits: doc.maxUnits ?? null, maxDiscount };
    // The lowest set price first (the largest saving per unit).
    sortValue = -price;
  } else if (doc.type === 'bundle') {
    const b = doc.bundle!;
    action = { type: 'bundle', quantity: b.quantity, price: minor(b.price)!, maxApplications: b.maxApplications ?? null, maxDiscount };
  } else {
    const b = doc.bogo!;
    action =
      b.amountOff !== undefined
        ? {
            type: 'bogo',
            buy: b.buy,
            get: b.get,
            percentOffBps: 0,
            amountOff: minor(b.amountOff)!,
            maxApplications: b.maxApplications ?? null,
            maxDiscount,
            rewardAppliesTo: selector(b.rewardAppliesTo ?? doc.appliesTo),
          }
        : {
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
  const groups = doc.customer?.groups ? [...new Set(doc.customer.groups.map((g) => g.trim().toLowerCase()))].sort() : null;
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
    // Only when set: rulesets without budgets keep their versions.
    ...(budget !== null ? { budget } : {}),
    action,
    posDiscountId: doc.pos?.discountId ?? null,
    tiers,
    groups,
    funding: doc.funding ? { vendor: doc.funding.vendor, percentBps: decimalToScaled(doc.funding.percent, 2)! } : null,
    customerRequired: doc.customer?.required === true || tiers !== null || groups !== null,
    schedule: doc.schedule ? scheduleInfo(doc.schedule, policy) : null,
    rule: null as unknown as EngineRule,
    source: src.path,
  };
  discount.rule = buildEngineRule(discount, doc.conditions ?? null, policy);
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

/**
 * Whether every line a selector can match is never discounted: each listed product is, and (when
 * the selector has attribute lists) some attribute list lies inside the same list of
 * neverDiscount (a matching line has one of those values). A selector with neither matches
 * everything.
 */
function onlyNeverDiscounted(sel: ItemSelector, nd: NeverDiscount): boolean {
  const within = (a: unknown, b: string[] | undefined) => Array.isArray(a) && a.length > 0 && !!b && a.every((x) => b.includes(x as string));
  const products = sel.products;
  if (Array.isArray(products) && products.length > 0 && !within(products, nd.products)) return false;
  const attrs = ITEM_ATTRIBUTES.filter((k) => Array.isArray(sel[k]) && sel[k]!.length > 0);
  if (attrs.length === 0) return Array.isArray(products) && products.length > 0;
  return attrs.some((k) => within(sel[k], nd[k]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// The json-rules-engine rule: one named top-level condition per eligibility check, in the order
// the reasons are reported. Internal facts: clock, session, usage (params.discountId),
// items, bogo, units and minimum (params.discountId); user facts: cart, customer, time.

function buildEngineRule(d: CompiledDiscount, conditions: ConditionNode | null, policy: StorePolicy): EngineRule {
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
  // Something of the budget is left: usage.given (minor units, all redemptions not voided) below it.
  if (d.budget !== undefined)
    checks.push({ name: 'BUDGET_EXHAUSTED', fact: 'usage', params, path: '$.given', operator: 'lessThan', value: d.budget });
  const customerChecks: EngineCondition[] = [];
  if (d.customerRequired) customerChecks.push({ fact: 'session', path: '$.hasCustomer', operator: 'equal', value: true });
  if (d.perCustomerLimit !== null) customerChecks.push({ fact: 'session', path: '$.hasCustomerId', operator: 'equal', value: true });
  if (customerChecks.length === 1) checks.push({ ...customerChecks[0], name: 'CUSTOMER_REQUIRED' });
  if (customerChecks.length > 1) checks.push({ all: customerChecks, name: 'CUSTOMER_REQUIRED' });
  if (d.tiers) checks.push({ name: 'TIER_NOT_ELIGIBLE', fact: 'session', path: '$.tier', operator: 'in', value: d.tiers });
  if (d.groups)
    checks.push({
      name: 'GROUP_NOT_ELIGIBLE',
      any: d.groups.map((g): EngineCondition => ({ fact: 'session', path: '$.groups', operator: 'contains', value: g })),
    });
  if (d.perCustomerLimit !== null)
    checks.push({ name: 'CUSTOMER_LIMIT_REACHED', fact: 'usage', params, path: '$.customerUsed', operator: 'lessThan', value: d.perCustomerLimit });
  // The subtotal a minimum purchase counts: the whole cart, less never-discounted lines unless
  // they count toward minimums (session.purchaseSubtotal).
  if (d.minPurchase !== null)
    checks.push({ name: 'MIN_PURCHASE_NOT_MET', fact: 'session', path: '$.purchaseSubtotal', operator: 'greaterThanInclusive', value: d.minPurchase });
  // Decided on the lines the selector matches after exclude and neverDiscount (internal fact `items`).
  if (d.appliesTo || policy.neverDiscount)
    checks.push({ name: 'NO_ELIGIBLE_ITEMS', fact: 'items', params, operator: 'greaterThanInclusive', value: 1 });
  // Tiers: the first tier's minimum, counted on the eligible lines of the untouched cart (internal
  // fact `minimum`: units priced above 0, or their subtotal; never-discounted lines only when they
  // count toward minimums).
  const a = d.action;
  if ((a.type === 'percentage' || a.type === 'fixed') && a.tiers)
    checks.push({
      name: a.tiers.kind === 'quantity' ? 'MIN_QUANTITY_NOT_MET' : 'MIN_PURCHASE_NOT_MET',
      fact: 'minimum',
      params,
      operator: 'greaterThanInclusive',
      value: a.tiers.tiers[0].min,
    });
  if (a.type === 'bogo') checks.push({ name: 'QUANTITY_NOT_MET', fact: 'bogo', params, operator: 'greaterThanInclusive', value: 1 });
  // A bundle needs `quantity` eligible units priced above 0 (internal fact `units`).
  if (a.type === 'bundle') checks.push({ name: 'QUANTITY_NOT_MET', fact: 'units', params, operator: 'greaterThanInclusive', value: a.quantity });
  if (conditions) {
    const c = toEngineCondition(conditions);
    checks.push('fact' in c ? { all: [c], name: 'CONDITIONS_NOT_MET' } : { ...c, name: 'CONDITIONS_NOT_MET' });
  }
  return { name: d.id, priority: 1, conditions: { all: checks }, event: { type: 'eligible', params: { discountId: d.id } } };
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

/** A selector with a fixed key order (it is part of the ruleset version). */
function selector(sel: ItemSelector | undefined): ItemSelector | null {
  if (!sel) return null;
  const out: ItemSelector = itemMatch(sel);
  if (sel.exclude) out.exclude = itemMatch(sel.exclude);
  return out;
}

/** A rule test file directly in the rules directory: one diagnostic, never checked as a rule. */
function misplacedTestFile(source: RuleSource): FileResult {
  const cut = Math.max(source.path.lastIndexOf('/'), source.path.lastIndexOf('\\')) + 1;
  const dir = source.path.slice(0, cut);
  const message = `'${source.path.slice(cut)}' is a rule test file, not a rule: test files belong in ${dir}tests/`;
  const diagnostic: Diagnostic = { path: source.path, line: 1, col: 1, severity: 'error', code: 'test_file_misplaced', message };
  return { path: source.path, diagnostics: [diagnostic], discount: null, id: null, code: null };
}

function itemMatch(m: ItemMatch): ItemMatch {
  const out: ItemMatch = {};
  for (const key of ITEM_KEYS) if (m[key]) out[key] = [...m[key]!];
  return out;
}

/** The keys of an item match, in the order they are compiled and hashed. */
export const ITEM_KEYS = ['categories', 'products', 'brands', 'vendors', 'tags'] as const;

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
