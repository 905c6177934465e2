// The rule editor's API (editor scope; admin too): the rule files on disk with their state and
// whether they are live, one file with its revision (and its git HEAD version), saving and
// deleting with If-Match on the revision, the sample carts, and pricing a cart with drafts in place
// of their files, and the canonical format of a draft (the same as `discounts fmt`). Saving does not change what is served (rules go through review) unless the
// store policy says `editor: {autoReload: true}`. store.yaml is shown, never written.

import type { Context } from 'hono';
import { basename, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { checkDraft, compileRuleFile, compileStorePolicy, formatDiagnostic, linkRuleset, type CompileResult, type RuleSource } from '../../dsl/compile.js';
import { formatDocument } from '../../dsl/format.js';
import { parseSource } from '../../dsl/source.js';
import type { Diagnostic, EvaluateRequest, Usage } from '../../domain/types.js';
import { evaluate } from '../../engine/evaluate.js';
import { checkRequest } from '../../engine/request.js';
import { compileWithNode, listFiles, nodeSha256Hex, readRulesDir, RulesDirError, RULE_FILE, STORE_FILE, type LoadedSources } from '../../ruleset/load.js';
import { StoreUnavailableError } from '../../store/types.js';
import { readJsonBody } from '../body.js';
import { customerIdOf, type AppHono, type RouteContext } from '../context.js';
import { ApiError, unavailable } from '../errors.js';
import { serve, type ServedRuleset } from '../ruleset.js';
import { parseBody, parseEvaluateRequest } from '../schemas.js';
import { draftFileName } from '../validate-draft.js';
import type { DiscountState, RuleListEntry, RuleState, RuleSync } from '../../domain/rule-files.js';
import { discountViews } from './discounts.js';
import { budgetIds, limitsFor } from './evaluate.js';
import { checkRuleId, revisionOf, RulesDirectory } from './rule-files.js';

const OPTIONS = { sha256Hex: nodeSha256Hex };

export type { RuleListEntry, RuleState, RuleSync } from '../../domain/rule-files.js';

/** store.yaml's `editor.autoReload` in the served policy (false when absent). */
export function autoReloadOf(served: ServedRuleset): boolean {
  if (!served.sources.store) return false;
  const value = parseSource(served.sources.store.path, served.sources.store.text).value as { editor?: { autoReload?: unknown } } | null;
  return value !== null && typeof value === 'object' && value.editor?.autoReload === true;
}

const servedTexts = (served: ServedRuleset) => new Map(served.sources.rules.map((r) => [basename(r.path), r.text]));

/** An If-Match value: the revision inside quotes (a weak W/ prefix is accepted), or '*'. */
function ifMatchOf(c: Context): string | null {
  const raw = c.req.header('if-match');
  if (raw === undefined) return null;
  const v = raw.trim();
  if (v === '*') return '*';
  const m = /^(?:W\/)?"([^"]*)"$/.exec(v);
  return m ? m[1] : v;
}

const etag = (revision: string) => `"${revision}"`;

function stale(current: string | null, what: string, message?: string): ApiError {
  message ??= current === null ? `${what} does not exist (it was deleted, or never saved)` : `${what} was changed by someone else since you opened it (its revision is now ${current.slice(0, 12)})`;
  return new ApiError('precondition_failed', message, {
    details: [{ path: 'If-Match', message: current === null ? 'the file does not exist' : `current revision is ${current}` }],
    extra: { revision: current },
    ...(current === null ? {} : { headers: { ETag: etag(current) } }),
  });
}

function invalidRule(message: string, diagnostics: Diagnostic[]): ApiError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return new ApiError('invalid_rule', message, {
    details: errors.map((d) => ({ path: `${d.path}:${d.line}:${d.col}`, message: `${d.code}: ${d.message}` })),
    extra: { diagnostics },
  });
}

/** The directory's sources with `replace` (file name -> text, null = removed) applied. */
function withDrafts(sources: LoadedSources, dir: string, replace: ReadonlyMap<string, string | null>): LoadedSources {
  const rules: RuleSource[] = sources.rules.filter((r) => !replace.has(basename(r.path)));
  let store = sources.store;
  for (const [name, text] of replace) {
    if (name === STORE_FILE) store = text === null ? null : { path: join(dir, name), text };
    else if (text !== null) rules.push({ path: join(dir, name), text });
  }
  return { store, storePath: sources.storePath, rules };
}

export function editorRoutes(app: AppHono, ctx: RouteContext): void {
  const editor = ctx.scope('editor');
  let files: RulesDirectory | null = null;

  const source = () => {
    const s = ctx.rulesets.source;
    if (!s) throw unavailable('the service has no rules directory to edit');
    files ??= new RulesDirectory(s.dir);
    return { ...s, files };
  };

  const readSources = async (dir: string, displayDir: string): Promise<LoadedSources> => {
    try {
      return await readRulesDir(dir, displayDir);
    } catch (err) {
      if (err instanceof RulesDirError) throw unavailable(err.message, err);
      throw err;
    }
  };

  /** Usage per discount for the states; without the ledger, none is exhausted (the list still answers). */
  const usedTotals = async (store: string): Promise<Map<string, number>> => {
    try {
      const rows = await ctx.store.usageTotals(store);
      return new Map(rows.map((r) => [r.discountId, r.used]));
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      ctx.logger.warn('ledger unavailable: rule states without usage', { error: err.message });
      return new Map();
    }
  };

  /** After a write: reload when the policy asks for it. */
  const afterWrite = async (served: ServedRuleset, name: string, text: string | null) => {
    if (!autoReloadOf(served)) return { live: servedTexts(served).get(name) === (text ?? undefined) };
    const outcome = await ctx.reload('http');
    const now = ctx.rulesets.current ?? served;
    return {
      live: servedTexts(now).get(name) === (text ?? undefined),
      reload: outcome.ok ? { ok: true, rulesetVersion: outcome.ruleset.version, message: null } : { ok: false, rulesetVersion: now.version, message: outcome.message },
    };
  };

  app.get('/v1/rules', editor, async (c) => {
    const served = ctx.ruleset();
    const { dir, displayDir } = source();
    const sources = await readSources(dir, displayDir);
    const store = compileStorePolicy(sources.store, sources.storePath);
    const compiled = sources.rules.map((r) => compileRuleFile(r, store.effective, OPTIONS));
    const all = linkRuleset(store, compiled, OPTIONS).diagnostics;
    const byPath = new Map<string, Diagnostic[]>();
    for (const d of all) byPath.set(d.path, [...(byPath.get(d.path) ?? []), d]);
    const hasError = (path: string) => (byPath.get(path) ?? []).some((d) => d.severity === 'error');
    // The state of each file without errors: the files without errors linked on their own.
    const clean = linkRuleset(store, compiled.filter((f) => !hasError(f.path)), OPTIONS);
    const used = await usedTotals(served.compiled.policy.store);
    const now = ctx.now();
    const states = new Map<string, DiscountState>();
    if (clean.ruleset) for (const v of discountViews(serve(dir, displayDir, sources, clean.ruleset, clean.diagnostics), now, used)) states.set(v.id, v.state);
    const servedStates = new Map(discountViews(served, now, used).map((v) => [v.id, v.state]));
    const live = servedTexts(served);
    const onDisk = new Set<string>();
    const rules: RuleListEntry[] = sources.rules.map((r, i) => {
      const name = basename(r.path);
      onDisk.add(name);
      const doc = parseSource(r.path, r.text).value as Record<string, unknown> | null;
      const field = (k: string) => (doc && typeof doc === 'object' && typeof doc[k] === 'string' ? (doc[k] as string) : null);
      const id = field('id') ?? name.replace(RULE_FILE, '');
      const sync: RuleSync = !live.has(name) ? 'new' : live.get(name) === r.text ? 'live' : 'changed';
      const state: RuleState = hasError(r.path) ? 'error' : (states.get(compiled[i].discount?.id ?? id) ?? servedStates.get(id) ?? 'error');
      return { id, file: name, name: field('name'), type: field('type'), code: field('code'), revision: revisionOf(r.text), state, sync, live: sync === 'live', diagnostics: byPath.get(r.path) ?? [] };
    });
    for (const d of served.compiled.discounts) {
      const name = basename(d.source);
      if (onDisk.has(name)) continue;
      rules.push({ id: d.id, file: null, name: d.name, type: d.type, code: d.displayCode, revision: null, state: servedStates.get(d.id) ?? 'active', sync: 'deleted', live: false, diagnostics: [] });
    }
    rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const storeLive = (served.sources.store?.text ?? null) === (sources.store?.text ?? null);
    return c.json({
      rulesetVersion: served.version,
      dir: displayDir,
      autoReload: autoReloadOf(served),
      store: { file: STORE_FILE, revision: sources.store ? revisionOf(sources.store.text) : null, readOnly: true, live: storeLive, diagnostics: store.diagnostics },
      rules,
    });
  });

  app.get('/v1/rules/:id', editor, async (c) => {
    const id = c.req.param('id');
    checkRuleId(id, { allowStore: true });
    const at = c.req.query('at');
    if (at !== undefined && at !== 'head') throw new ApiError('invalid_request', `at must be 'head', not '${at.slice(0, 32)}'`, { details: [{ path: 'at', message: "only 'head' is supported" }] });
    const served = ctx.ruleset();
    const { files } = source();
    const file = id === 'store' ? await files.read(STORE_FILE) : await files.find(id);
    const name = file?.name ?? (id === 'store' ? STORE_FILE : `${id}.yaml`);
    const readOnly = id === 'store';
    if (at === 'head') {
      const head = await files.atHead(name);
      if (!head) throw new ApiError('not_found', `${name} has no version in git HEAD (the rules directory is not in a git repository, or the file is not committed)`, { details: [{ path: 'at', message: 'no git HEAD version' }] });
      const revision = revisionOf(head.text);
      c.header('ETag', etag(revision));
      return c.json({ id, file: name, text: head.text, revision, readOnly, live: liveText(served, name) === head.text, at: 'head', commit: head.commit });
    }
    if (!file) throw new ApiError('not_found', `no rule file for id '${id}' in the rules directory`, { details: [{ path: 'id', message: 'no such file' }] });
    c.header('ETag', etag(file.revision));
    return c.json({ id, file: file.name, text: file.text, revision: file.revision, readOnly, live: liveText(served, name) === file.text });
  });

  app.put('/v1/rules/:id', editor, async (c) => {
    const id = c.req.param('id');
    if (id === 'store') throw readOnlyStore();
    checkRuleId(id);
    const { text } = parseBody<{ text: string }>('RuleWriteRequest', await readJsonBody(c));
    const served = ctx.ruleset();
    const { dir, displayDir, files } = source();
    const ifMatch = ifMatchOf(c);
    const ifNoneMatch = c.req.header('if-none-match')?.trim();
    const result = await files.exclusive(async () => {
      const existing = await files.find(id);
      const name = existing?.name ?? `${id}.yaml`;
      if (existing) {
        if (ifNoneMatch === '*') throw stale(existing.revision, name, `${name} already exists (If-None-Match: *)`);
        if (ifMatch === null) throw new ApiError('precondition_required', `${name} exists: send If-Match with the revision you edited (from GET /v1/rules/${id})`, { details: [{ path: 'If-Match', message: 'required to replace an existing file' }] });
        if (ifMatch !== '*' && ifMatch !== existing.revision) throw stale(existing.revision, name);
      } else if (ifMatch !== null) throw stale(null, name);
      // Checked as `discounts validate` would check the directory with the file saved.
      const sources = await readSources(dir, displayDir);
      const path = join(displayDir, name);
      // The core's draft check: the file's own diagnostics and the cross-file ones that involve it
      // (a duplicate code is reported on both files).
      const checked = checkDraft(sources, { text, path: name }, OPTIONS);
      if (!checked.ok) throw new ApiError('invalid_request', checked.error.message, { details: [{ path: 'id', message: checked.error.code }] });
      const own = checked.diagnostics.filter((d) => d.path === path || d.severity === 'error');
      const errors = own.filter((d) => d.severity === 'error');
      if (errors.length) throw invalidRule(`${name} has ${errors.length} error(s); nothing was saved`, own);
      const revision = await files.write(name, text);
      return { name, revision, created: !existing, warnings: own };
    });
    const after = await afterWrite(served, result.name, text);
    c.header('ETag', etag(result.revision));
    if (result.created) c.header('Location', `/v1/rules/${id}`);
    return c.json({ id, file: result.name, revision: result.revision, live: after.live, diagnostics: result.warnings, ...('reload' in after ? { reload: after.reload } : {}) }, result.created ? 201 : 200);
  });

  app.delete('/v1/rules/:id', editor, async (c) => {
    const id = c.req.param('id');
    if (id === 'store') throw readOnlyStore();
    checkRuleId(id);
    const served = ctx.ruleset();
    const { files } = source();
    const ifMatch = ifMatchOf(c);
    const name = await files.exclusive(async () => {
      const existing = await files.find(id);
      if (!existing) throw new ApiError('not_found', `no rule file for id '${id}' in the rules directory`, { details: [{ path: 'id', message: 'no such file' }] });
      if (ifMatch === null) throw new ApiError('precondition_required', `send If-Match with the revision of ${existing.name} you mean to delete`, { details: [{ path: 'If-Match', message: 'required to delete a file' }] });
      if (ifMatch !== '*' && ifMatch !== existing.revision) throw stale(existing.revision, existing.name);
      await files.remove(existing.name);
      return existing.name;
    });
    const after = await afterWrite(served, name, null);
    return c.json({ id, file: name, revision: null, live: !servedTexts(ctx.rulesets.current ?? served).has(name), diagnostics: [], ...('reload' in after ? { reload: after.reload } : {}) }, 200);
  });

  app.post('/v1/rules/format', editor, async (c) => {
    const draft = parseBody<{ text: string; path?: string }>('RulesValidateRequest', await readJsonBody(c));
    const name = draft.path ?? draftFileName(draft.text);
    const path = join(ctx.ruleset().displayDir, name);
    const result = formatDocument(path, draft.text, name === STORE_FILE ? 'store' : 'rule');
    if (!result.ok) throw invalidRule(`${name} cannot be formatted: it does not parse`, result.diagnostics);
    return c.json({ path, text: result.text, changed: result.text !== draft.text });
  });

  app.get('/v1/carts', editor, async (c) => {
    const { dir } = source();
    const cartsDir = join(await source().files.root(), 'carts');
    const names = await listFiles(cartsDir, join(dir, 'carts'), (n) => /\.json$/i.test(n)).catch((err) => {
      if (err instanceof RulesDirError) return [] as string[];
      throw err;
    });
    const carts = await Promise.all(
      names.map(async (n) => {
        const file = `carts/${n}`;
        const text = await readFile(join(cartsDir, n), 'utf8').catch(() => null);
        let request: unknown = null;
        const errors: string[] = [];
        if (text === null) errors.push('cannot be read');
        else {
          try {
            request = JSON.parse(text);
            const checked = checkRequest(request);
            if (!checked.ok) errors.push(...checked.errors.map((e) => `${e.path || '(top level)'}: ${e.message}`));
          } catch (err) {
            errors.push(`not JSON: ${(err as Error).message}`);
          }
        }
        return { name: n.replace(/\.json$/i, ''), file, request, errors };
      }),
    );
    return c.json({ carts });
  });

  app.post('/v1/simulate', editor, async (c) => {
    const body = parseBody<{ drafts: { text: string; path?: string }[]; request: unknown }>('SimulateRequest', await readJsonBody(c));
    let req: EvaluateRequest;
    try {
      req = parseEvaluateRequest(body.request);
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError('invalid_request', err.message, { details: err.details.map((d) => ({ ...d, path: '/request' + d.path })) });
      throw err;
    }
    const served = ctx.ruleset();
    const displayDir = served.displayDir;
    const replace = new Map<string, string>();
    const paths: string[] = [];
    body.drafts.forEach((d, i) => {
      const name = d.path ?? draftFileName(d.text);
      if (replace.has(name)) throw new ApiError('invalid_request', `two drafts are priced as ${name}`, { details: [{ path: `/drafts/${i}`, message: `${name} is already a draft` }] });
      replace.set(name, d.text);
      paths.push(join(displayDir, name));
    });
    const result: CompileResult = compileWithNode(withDrafts(served.sources, displayDir, replace));
    const draftPaths = new Set(paths);
    const before = new Set(served.diagnostics.map(formatDiagnostic));
    const own = result.diagnostics.filter((d) => draftPaths.has(d.path) || replace.has(STORE_FILE) || (d.severity === 'error' && !before.has(formatDiagnostic(d))));
    if (!result.ruleset) {
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      const mine = own.filter((d) => d.severity === 'error').length;
      throw invalidRule(mine ? `the draft has ${mine} error(s); fix them to try it` : `the ruleset with the drafts has ${errors.length} error(s)`, mine ? own : result.diagnostics);
    }
    const priced = serve(served.dir, displayDir, withDrafts(served.sources, displayDir, replace), result.ruleset, result.diagnostics);
    const limits = limitsFor(priced, req);
    let usage: Usage = {};
    let limitsChecked = true;
    if (limits.length) {
      try {
        usage = await ctx.store.readUsage(priced.compiled.policy.store, limits.map((l) => l.discountId), customerIdOf(req), budgetIds(limits));
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        limitsChecked = false;
      }
    }
    const response = evaluate(priced.prepared, req, { now: ctx.now(), usage });
    return c.json({ ...response, ...(limitsChecked ? {} : { limitsChecked: false as const }), paths, warnings: own.filter((d) => d.severity === 'warning') });
  });
}

function liveText(served: ServedRuleset, name: string): string | null {
  if (name === STORE_FILE) return served.sources.store?.text ?? null;
  return servedTexts(served).get(name) ?? null;
}

function readOnlyStore(): ApiError {
  return new ApiError('forbidden', `${STORE_FILE} is read-only in the editor: change the store policy in review`, { details: [{ path: 'id', message: 'store.yaml is read-only' }] });
}
