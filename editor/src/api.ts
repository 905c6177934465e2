// The page's calls to the service (same origin, JSON). The editor key is asked for once and kept
// in sessionStorage (this tab only); in the keyless development mode no key is ever asked for.
// A 401 clears the stored key and asks again with a plain message.

import type { RuleListEntry } from '../../src/domain/rule-files.js';
import type { Diagnostic, EvaluateRequest, EvaluateResponse } from '../../src/domain/types.js';

const KEY = 'discounts.editorKey';

export interface ApiErrorBody {
  code: string;
  message: string;
  details: { path: string; message: string }[];
  diagnostics?: Diagnostic[];
  revision?: string | null;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly headers: Headers,
  ) {
    super(body.message);
  }
}

export type { RuleState, RuleSync } from '../../src/domain/rule-files.js';
export type RuleEntry = RuleListEntry;

export interface RuleList {
  rulesetVersion: string;
  dir: string;
  autoReload: boolean;
  store: { file: string; revision: string | null; readOnly: true; live: boolean; diagnostics: Diagnostic[] };
  rules: RuleEntry[];
}

export interface RuleFile {
  id: string;
  file: string;
  text: string;
  revision: string;
  readOnly: boolean;
  live: boolean;
  at?: 'head';
  commit?: string;
}

export interface SaveResult {
  id: string;
  file: string;
  revision: string | null;
  live: boolean;
  diagnostics: Diagnostic[];
  reload?: { ok: boolean; rulesetVersion: string; message: string | null };
}

export interface SampleCart {
  name: string;
  file: string;
  request: EvaluateRequest | null;
  errors: string[];
}

export type SimulateResult = EvaluateResponse & { paths: string[]; warnings: Diagnostic[] };

/** Asks the person for a key; `problem` says why the last one did not work. */
export type KeyPrompt = (problem: string | null) => Promise<string>;

export class Api {
  #key: string | null = sessionStorage.getItem(KEY);
  #asking: Promise<string> | null = null;

  constructor(private readonly prompt: KeyPrompt) {}

  /** Whether a key is in use (false in development mode until a 401 says one is needed). */
  get hasKey(): boolean {
    return this.#key !== null;
  }

  forgetKey(): void {
    this.#key = null;
    sessionStorage.removeItem(KEY);
  }

  async #askKey(problem: string | null): Promise<void> {
    this.#asking ??= this.prompt(problem).finally(() => (this.#asking = null));
    const key = (await this.#asking).trim();
    this.#key = key;
    sessionStorage.setItem(KEY, key);
  }

  async request<T>(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ body: T; headers: Headers; status: number }> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
      if (this.#key) headers.Authorization = `Bearer ${this.#key}`;
      if (options.json !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(path, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json), cache: 'no-store' });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { error: { code: 'internal_error', message: `the service answered ${res.status} without JSON`, details: [] } };
      }
      if (res.ok) return { body: parsed as T, headers: res.headers, status: res.status };
      const error = (parsed as { error?: ApiErrorBody } | null)?.error ?? { code: 'internal_error', message: `HTTP ${res.status}`, details: [] };
      if ((res.status === 401 || res.status === 403) && attempt < 5 && (error.code === 'unauthorized' || error.code === 'forbidden')) {
        // A 403 that is not about the key's scope (store.yaml is read-only, a link out of the folder) is an answer, not a key problem.
        if (res.status === 403 && !/scope/.test(error.message)) throw new ApiFailure(res.status, error, res.headers);
        const hadKey = this.#key !== null;
        this.forgetKey();
        await this.#askKey(
          res.status === 403
            ? 'That key works, but not for the editor: it needs a key with the editor (or admin) scope.'
            : hadKey
              ? 'That key was not accepted. Check it and try again, or ask your administrator for an editor key.'
              : null,
        );
        continue;
      }
      throw new ApiFailure(res.status, error, res.headers);
    }
  }

  rules = () => this.request<RuleList>('GET', '/v1/rules').then((r) => r.body);
  rule = (id: string, head = false) => this.request<RuleFile>('GET', `/v1/rules/${encodeURIComponent(id)}${head ? '?at=head' : ''}`).then((r) => r.body);
  validate = (text: string, path: string) => this.request<{ path: string; diagnostics: Diagnostic[] }>('POST', '/v1/rules/validate', { json: { text, path } }).then((r) => r.body);
  format = (text: string, path: string) => this.request<{ path: string; text: string; changed: boolean }>('POST', '/v1/rules/format', { json: { text, path } }).then((r) => r.body);
  carts = () => this.request<{ carts: SampleCart[] }>('GET', '/v1/carts').then((r) => r.body.carts);
  simulate = (drafts: { text: string; path: string }[], request: EvaluateRequest) => this.request<SimulateResult>('POST', '/v1/simulate', { json: { drafts, request } }).then((r) => r.body);

  /** PUT with If-Match (replacing `revision`) or If-None-Match: * (a new file). */
  save = (id: string, text: string, revision: string | null) =>
    this.request<SaveResult>('PUT', `/v1/rules/${encodeURIComponent(id)}`, { json: { text }, headers: revision ? { 'If-Match': `"${revision}"` } : { 'If-None-Match': '*' } }).then((r) => r.body);
}
