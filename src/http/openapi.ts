// The OpenAPI 3.1 document of the service. Request and response bodies are the JSON Schemas in
// schemas/ (one source of truth), copied in as components with their cross-file $refs rewritten;
// the paths below only say which schema each body is. Snapshot-tested (test/http/openapi.test.ts).

import { API_SCHEMAS, type SchemaName } from './schemas.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const byFile = new Map<string, SchemaName>(Object.entries(API_SCHEMAS).map(([name, s]) => [s.$id.slice(s.$id.lastIndexOf('/') + 1), name as SchemaName]));

function rewrite(value: Json, self: SchemaName): Json {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, self));
  if (value === null || typeof value !== 'object') return value;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$schema' || k === '$id') continue;
    if (k === '$ref' && typeof v === 'string') {
      const [file, fragment = ''] = v.split('#');
      const target = file === '' ? self : byFile.get(file);
      if (!target) throw new Error(`openapi: unresolved $ref ${v} in ${self}`);
      out[k] = `#/components/schemas/${target}${fragment}`;
    } else out[k] = rewrite(v, self);
  }
  return out;
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
const ok = (description: string, name: SchemaName, headers?: Record<string, unknown>) => ({ description, content: json(name), ...(headers ? { headers } : {}) });
const error = (description: string) => ({ description, content: json('Error') });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
const unavailable = { description: 'The ledger is unreachable or busy past its timeout.', content: json('Error'), headers: retryAfter };

const COMMON = {
  '401': error('unauthorized: missing or unknown API key'),
  '403': error('forbidden: the key lacks the scope'),
};
const BODY_ERRORS = {
  '400': error('invalid_request: malformed JSON or a schema error (details name each field)'),
  '413': error('payload_too_large: body over 1 MiB'),
  '415': error('unsupported_media_type: not application/json'),
};
const txParam = { name: 'transactionId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } };
const sec = (...scopes: string[]) => [{ bearer: scopes }];
const ruleId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } };
const eventId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' } };
const webhook = (summary: string, name: SchemaName) => ({
  post: {
    summary,
    parameters: [
      { name: 'webhook-id', in: 'header', required: true, description: 'The event id (deduplicate by it).', schema: { type: 'string' } },
      { name: 'webhook-timestamp', in: 'header', required: true, description: 'Integer seconds, renewed on every attempt.', schema: { type: 'string' } },
      { name: 'webhook-signature', in: 'header', required: true, description: 'Standard Webhooks: v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated during a key rotation.', schema: { type: 'string' } },
    ],
    requestBody: { required: true, content: json(name) },
    responses: { '2XX': { description: 'Delivered. 410 stops retrying this delivery; anything else (3xx included) is retried.' } },
  },
});
const etagHeader = { ETag: { description: 'The revision in quotes.', schema: { type: 'string' } } };
const ifMatch = (description: string) => ({ name: 'If-Match', in: 'header', required: false, description, schema: { type: 'string' } });

/** The API's version (the /v1 routes), not the package's. */
export const API_VERSION = '1.0.0';

export function buildOpenApi(): Record<string, unknown> {
  const components = Object.fromEntries(Object.entries(API_SCHEMAS).map(([name, s]) => [name, rewrite(s as unknown as Json, name as SchemaName)]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'discount-rules service',
      version: API_VERSION,
      description: 'Prices carts for the point of sale, commits redemptions to the ledger with usage limits enforced atomically, and explains every rejected discount. Amounts are integer minor units.',
    },
    servers: [{ url: '/' }],
    webhooks: {
      'redemption.committed': webhook('A redemption was committed.', 'RedemptionCommittedEvent'),
      'redemption.voided': webhook('A redemption was voided.', 'RedemptionVoidedEvent'),
      'pos.reward.trigger': webhook('Apply the reward in the POS (trigger-reward POS systems).', 'PosRewardTriggerEvent'),
      'pos.reward.reverse': webhook('Take back the reward of a voided redemption.', 'PosRewardReverseEvent'),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key with scope pos, editor or admin (admin may call every route).' } },
      schemas: components,
    },
    paths: {
      '/v1/evaluate': {
        post: {
          operationId: 'evaluate',
          summary: 'Price a cart (never writes). limitsChecked is false when the ledger could not be read.',
          security: sec('pos', 'editor', 'admin'),
          requestBody: { required: true, content: json('EvaluateRequest') },
          responses: {
            '200': ok('The priced cart', 'EvaluateResponse'),
            ...BODY_ERRORS,
            ...COMMON,
            '429': { description: 'rate_limited: too many unknown codes from this API key and terminal (or in total); requests without codes are never refused', content: json('Error'), headers: retryAfter },
            '503': error('unavailable: no ruleset loaded'),
          },
        },
      },
      '/v1/redemptions': {
        post: {
          operationId: 'redeem',
          summary: 'Price the cart again and commit it with its usage, idempotent on transactionId.',
          security: sec('pos', 'admin'),
          requestBody: { required: true, content: json('RedemptionRequest') },
          responses: {
            '201': ok('Committed', 'RedemptionRecord'),
            '200': ok('Replay of the stored transaction (same canonical body)', 'RedemptionRecord', {
              'Idempotent-Replay': { description: 'Always "true" on a replay.', schema: { type: 'string', const: 'true' } },
            }),
            '400': error('invalid_request, or clock_skew: `at` more than 5 minutes from the server clock'),
            '409': error('idempotency_conflict (same transactionId, different body) or price_changed (error.evaluation holds the new pricing)'),
            '413': BODY_ERRORS['413'],
            '415': BODY_ERRORS['415'],
            ...COMMON,
            '429': { description: 'rate_limited: a new sale with codes past the code-guessing limit (a replay is still answered)', content: json('Error'), headers: retryAfter },
            '503': unavailable,
          },
        },
      },
      '/v1/redemptions/{transactionId}': {
        get: {
          operationId: 'getRedemption',
          summary: 'The stored redemption with its status.',
          security: sec('pos', 'admin'),
          parameters: [txParam],
          responses: { '200': ok('The record', 'RedemptionRecord'), ...COMMON, '404': error('not_found'), '503': unavailable },
        },
      },
      '/v1/redemptions/{transactionId}/void': {
        post: {
          operationId: 'voidRedemption',
          summary: 'Void once, releasing the usage it took; voiding again answers the same record.',
          security: sec('pos', 'admin'),
          parameters: [txParam],
          requestBody: { required: false, content: json('VoidRequest') },
          responses: { '200': ok('The voided record', 'RedemptionRecord'), ...BODY_ERRORS, ...COMMON, '404': error('not_found'), '503': unavailable },
        },
      },
      '/v1/events': {
        get: {
          operationId: 'listEvents',
          summary: "The served store's webhook events, newest first (createdAt, then id), at most 100 per page.",
          security: sec('admin'),
          parameters: [
            { name: 'status', in: 'query', required: false, schema: { enum: ['pending', 'delivered', 'failed'] } },
            { name: 'type', in: 'query', required: false, schema: { enum: ['redemption.committed', 'redemption.voided', 'pos.reward.trigger', 'pos.reward.reverse'] } },
            { name: 'cursor', in: 'query', required: false, description: 'nextCursor of the previous page (opaque).', schema: { type: 'string' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
          ],
          responses: { '200': ok('A page of events', 'EventList'), '400': error('invalid_request: an unknown status, type or parameter, a limit out of 1..100, or a cursor not of this API'), ...COMMON, '503': unavailable },
        },
      },
      '/v1/events/{id}': {
        get: {
          operationId: 'getEvent',
          summary: 'An event as sent, with its deliveries and their attempts (status code, duration, error).',
          security: sec('admin'),
          parameters: [eventId],
          responses: { '200': ok('The event', 'Event'), ...COMMON, '404': error('not_found'), '503': unavailable },
        },
      },
      '/v1/events/{id}/retry': {
        post: {
          operationId: 'retryEvent',
          summary: 'Make every failed delivery of the event pending again, due now, with a fresh expiry window; the same event id is sent.',
          security: sec('admin'),
          parameters: [eventId],
          responses: {
            '200': ok('Retried', 'EventRetryResponse'),
            ...COMMON,
            '404': error('not_found'),
            '409': error('not_retryable: no delivery of the event failed (it is pending or delivered); nothing changed'),
            '503': unavailable,
          },
        },
      },
      '/v1/discounts': {
        get: {
          operationId: 'listDiscounts',
          summary: 'Compiled discounts with their state, activeNow, remaining uses and what is left of their budgets.',
          security: sec('pos', 'editor', 'admin'),
          responses: { '200': ok('The discounts', 'DiscountList'), ...COMMON, '503': unavailable },
        },
      },
      '/v1/discounts/{id}': {
        get: {
          operationId: 'getDiscount',
          security: sec('pos', 'editor', 'admin'),
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': ok('The discount', 'Discount'), ...COMMON, '404': error('not_found'), '503': unavailable },
        },
      },
      '/v1/pos/sheet': {
        get: {
          operationId: 'posSheet',
          summary: 'The POS sheet of the served ruleset.',
          security: sec('pos', 'editor', 'admin'),
          parameters: [{ name: 'format', in: 'query', required: false, schema: { enum: ['json', 'csv'], default: 'json' } }],
          responses: {
            '200': { description: 'JSON, or CSV with ?format=csv', content: { ...json('PosSheet'), 'text/csv': { schema: { type: 'string' } } } },
            '400': error('invalid_request: unknown format'),
            ...COMMON,
          },
        },
      },
      '/v1/rules/validate': {
        post: {
          operationId: 'validateRule',
          summary: 'Diagnostics for a draft file, checked against the rest of the served ruleset.',
          security: sec('editor', 'admin'),
          requestBody: { required: true, content: json('RulesValidateRequest') },
          responses: { '200': ok('Diagnostics, as discounts validate --json prints them', 'RulesValidateResponse'), ...BODY_ERRORS, ...COMMON },
        },
      },
      '/v1/rules': {
        get: {
          operationId: 'listRules',
          summary: 'The rule files on disk: id, name, state (or error), diagnostics, and whether each is live (served) or saved, not live.',
          security: sec('editor', 'admin'),
          responses: { '200': ok('The rule files', 'RuleList'), ...COMMON, '503': unavailable },
        },
      },
      '/v1/rules/format': {
        post: {
          operationId: 'formatRule',
          summary: 'A draft in the canonical form of discounts fmt (never writes).',
          security: sec('editor', 'admin'),
          requestBody: { required: true, content: json('RulesValidateRequest') },
          responses: { '200': ok('The formatted text', 'RuleFormatResponse'), ...BODY_ERRORS, ...COMMON, '422': error('invalid_rule: the text does not parse (error.diagnostics)') },
        },
      },
      '/v1/rules/{id}': {
        get: {
          operationId: 'getRule',
          summary: 'A rule file with its revision (ETag); ?at=head gives the version in git HEAD. id store gives store.yaml (read-only).',
          security: sec('editor', 'admin'),
          parameters: [ruleId, { name: 'at', in: 'query', required: false, schema: { const: 'head' } }],
          responses: { '200': ok('The file', 'RuleFile', etagHeader), '400': error('invalid_request: not a rule id, or an unknown at'), ...COMMON, '404': error('not_found: no such file (or no git HEAD version)') },
        },
        put: {
          operationId: 'saveRule',
          summary: 'Save a rule file atomically (<id>.yaml when new). Does not change what is served unless store.yaml has editor.autoReload: true.',
          security: sec('editor', 'admin'),
          parameters: [ruleId, ifMatch('the revision you edited; required when the file exists')],
          requestBody: { required: true, content: json('RuleWriteRequest') },
          responses: {
            '201': ok('Created', 'RuleWriteResponse', etagHeader),
            '200': ok('Replaced', 'RuleWriteResponse', etagHeader),
            ...BODY_ERRORS,
            ...COMMON,
            '403': error('forbidden: the key lacks the scope, store.yaml (read-only), or a symbolic link out of the rules directory'),
            '412': error('precondition_failed: If-Match is stale (error.revision is the current revision), or If-None-Match: * and the file exists'),
            '422': error('invalid_rule: the text has errors, or its id is not {id} (error.diagnostics)'),
            '428': error('precondition_required: the file exists and If-Match is missing'),
          },
        },
        delete: {
          operationId: 'deleteRule',
          security: sec('editor', 'admin'),
          parameters: [ruleId, ifMatch('the revision to delete; required')],
          responses: {
            '200': ok('Deleted', 'RuleWriteResponse'),
            ...COMMON,
            '404': error('not_found'),
            '412': error('precondition_failed: If-Match is stale (error.revision is the current revision)'),
            '428': error('precondition_required: If-Match is missing'),
          },
        },
      },
      '/v1/carts': {
        get: {
          operationId: 'listCarts',
          summary: 'The sample carts in the rules directory (carts/*.json).',
          security: sec('editor', 'admin'),
          responses: { '200': ok('The carts', 'CartList'), ...COMMON, '503': unavailable },
        },
      },
      '/v1/simulate': {
        post: {
          operationId: 'simulate',
          summary: 'Price a cart with drafts in place of their files and the served usage counts. Never writes.',
          security: sec('editor', 'admin'),
          requestBody: { required: true, content: json('SimulateRequest') },
          responses: { '200': ok('The priced cart and the drafts\' warnings', 'SimulateResponse'), ...BODY_ERRORS, ...COMMON, '422': error('invalid_rule: a draft has errors (error.diagnostics)'), '503': unavailable },
        },
      },
      '/v1/reports/replay': {
        post: {
          operationId: 'replay',
          summary: 'What-if replay: re-price the period\'s committed, not voided redemptions with drafts in place of their files and removals applied, in a worker. Reads the ledger only.',
          security: sec('editor', 'admin'),
          requestBody: { required: true, content: json('ReplayRequest') },
          responses: {
            '200': ok('The replay report', 'ReplayReport'),
            ...BODY_ERRORS,
            ...COMMON,
            '422': error('invalid_rule: the drafted ruleset has errors (error.diagnostics)'),
            '503': { description: 'unavailable: another replay is running in this instance, the replay ran past its time limit, or the ledger is unreachable', content: json('Error'), headers: retryAfter },
          },
        },
      },
      '/v1/reports/discounts': {
        get: {
          operationId: 'discountReport',
          summary: 'Per discount, per day and per vendor over [from, to) of store-local dates (default: the last 30 days, today included). Counts and sums from the ledger, integer minor units.',
          security: sec('editor', 'admin'),
          parameters: [
            { name: 'from', in: 'query', required: false, description: 'First store-local date, inclusive (YYYY-MM-DD).', schema: { type: 'string', format: 'date' } },
            { name: 'to', in: 'query', required: false, description: 'Store-local date after the last one, exclusive (YYYY-MM-DD); at most 366 days after from.', schema: { type: 'string', format: 'date' } },
          ],
          responses: {
            '200': ok('The report', 'DiscountReport'),
            '400': error('invalid_request: a date that is not YYYY-MM-DD, from not before to, a period over 366 days, or an unknown parameter (details name each)'),
            ...COMMON,
            '503': unavailable,
          },
        },
      },
      '/v1/admin/reload': {
        post: {
          operationId: 'reload',
          summary: 'Reload the rules directory; the previous ruleset keeps serving when the new one has errors.',
          security: sec('admin'),
          responses: { '200': ok('Swapped', 'ReloadResponse'), ...COMMON, '422': error('invalid_ruleset: error.diagnostics holds the diagnostics') },
        },
      },
      '/v1/reports/abuse': {
        get: {
          operationId: 'abuseReport',
          summary: 'Abuse signals with their evidence: repeat use, code guessing, redeem-then-void cycling, heavily discounted sales (thresholds: store.yaml abuse:).',
          security: sec('editor', 'admin'),
          parameters: [
            { name: 'from', in: 'query', required: false, description: 'Start (inclusive): a date (store-local midnight) or a date-time (without an offset: store time). Default: 7 days before to.', schema: { type: 'string' } },
            { name: 'to', in: 'query', required: false, description: 'End (exclusive), like from. Default: now.', schema: { type: 'string' } },
            { name: 'window', in: 'query', required: false, description: 'Instead of from: the period ending at to, e.g. 90m, 24h, 7d.', schema: { type: 'string', pattern: '^[1-9][0-9]{0,4}[mhd]$' } },
          ],
          responses: { '200': ok('The signals', 'AbuseReport'), '400': error('invalid_request: a bad from, to or window'), ...COMMON, '503': unavailable },
        },
      },
      '/v1/admin/cleanup': {
        post: {
          operationId: 'cleanup',
          summary: 'Move the rule files of finished discounts (schedule ended or usage limit used up more than cleanup.graceDays ago) to archive/ and reload; dryRun lists them only.',
          security: sec('admin'),
          requestBody: { required: false, content: json('CleanupRequest') },
          responses: { '200': ok('What moved (or would move) and why', 'CleanupResponse'), ...BODY_ERRORS, ...COMMON, '503': unavailable },
        },
      },
      '/healthz': { get: { operationId: 'health', security: [], responses: { '200': { description: 'Alive', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } } } } },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          responses: { '200': ok('A ruleset is loaded (ledger up or down)', 'Readiness'), '503': error('unavailable: no ruleset loaded') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          security: sec('admin'),
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...COMMON },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', security: [], responses: { '200': { description: 'This document', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
  };
}
