// The service's own JSON Schemas (schemas/*.schema.json), compiled once with ajv next to the
// core's evaluate request and response, and the request checks built on them. The evaluate part of
// a redemption is checked by the core's checkRequest, so both routes word cart errors alike.

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import abuseReportSchema from '../../schemas/abuse-report.schema.json' with { type: 'json' };
import cleanupRequestSchema from '../../schemas/cleanup-request.schema.json' with { type: 'json' };
import cleanupResponseSchema from '../../schemas/cleanup-response.schema.json' with { type: 'json' };
import diagnosticSchema from '../../schemas/diagnostic.schema.json' with { type: 'json' };
import discountListSchema from '../../schemas/discount-list.schema.json' with { type: 'json' };
import discountSchema from '../../schemas/discount.schema.json' with { type: 'json' };
import discountReportSchema from '../../schemas/discount-report.schema.json' with { type: 'json' };
import errorSchema from '../../schemas/error.schema.json' with { type: 'json' };
import requestSchema from '../../schemas/evaluate-request.schema.json' with { type: 'json' };
import responseSchema from '../../schemas/evaluate-response.schema.json' with { type: 'json' };
import posSheetSchema from '../../schemas/pos-sheet.schema.json' with { type: 'json' };
import readinessSchema from '../../schemas/readiness.schema.json' with { type: 'json' };
import redemptionRecordSchema from '../../schemas/redemption-record.schema.json' with { type: 'json' };
import redemptionRequestSchema from '../../schemas/redemption-request.schema.json' with { type: 'json' };
import reloadResponseSchema from '../../schemas/reload-response.schema.json' with { type: 'json' };
import validateRequestSchema from '../../schemas/rules-validate-request.schema.json' with { type: 'json' };
import validateResponseSchema from '../../schemas/rules-validate-response.schema.json' with { type: 'json' };
import voidRequestSchema from '../../schemas/void-request.schema.json' with { type: 'json' };
import ruleListSchema from '../../schemas/rule-list.schema.json' with { type: 'json' };
import ruleFormatResponseSchema from '../../schemas/rule-format-response.schema.json' with { type: 'json' };
import ruleFileSchema from '../../schemas/rule-file.schema.json' with { type: 'json' };
import ruleWriteRequestSchema from '../../schemas/rule-write-request.schema.json' with { type: 'json' };
import ruleWriteResponseSchema from '../../schemas/rule-write-response.schema.json' with { type: 'json' };
import cartListSchema from '../../schemas/cart-list.schema.json' with { type: 'json' };
import simulateRequestSchema from '../../schemas/simulate-request.schema.json' with { type: 'json' };
import simulateResponseSchema from '../../schemas/simulate-response.schema.json' with { type: 'json' };
import eventListSchema from '../../schemas/outbox-event-list.schema.json' with { type: 'json' };
import eventDetailSchema from '../../schemas/outbox-event.schema.json' with { type: 'json' };
import eventRetrySchema from '../../schemas/outbox-retry-response.schema.json' with { type: 'json' };
import redemptionCommittedEvent from '../../schemas/event-redemption-committed.schema.json' with { type: 'json' };
import redemptionVoidedEvent from '../../schemas/event-redemption-voided.schema.json' with { type: 'json' };
import posRewardTriggerEvent from '../../schemas/event-pos-reward-trigger.schema.json' with { type: 'json' };
import posRewardReverseEvent from '../../schemas/event-pos-reward-reverse.schema.json' with { type: 'json' };
import replayRequestSchema from '../../schemas/replay-request.schema.json' with { type: 'json' };
import replayReportSchema from '../../schemas/replay-report.schema.json' with { type: 'json' };
import type { EvaluateRequest } from '../domain/types.js';
import { checkRequest } from '../engine/request.js';
import { schemaIssues } from '../dsl/schemas.js';
import { ApiError, type ErrorDetail } from './errors.js';

/** Every schema a request or response body of the API uses, by OpenAPI component name. */
export const API_SCHEMAS = {
  EvaluateRequest: requestSchema,
  EvaluateResponse: responseSchema,
  RedemptionRequest: redemptionRequestSchema,
  RedemptionRecord: redemptionRecordSchema,
  VoidRequest: voidRequestSchema,
  Error: errorSchema,
  Diagnostic: diagnosticSchema,
  Discount: discountSchema,
  DiscountList: discountListSchema,
  PosSheet: posSheetSchema,
  RulesValidateRequest: validateRequestSchema,
  RulesValidateResponse: validateResponseSchema,
  ReloadResponse: reloadResponseSchema,
  Readiness: readinessSchema,
  RuleList: ruleListSchema,
  RuleFile: ruleFileSchema,
  RuleFormatResponse: ruleFormatResponseSchema,
  RuleWriteRequest: ruleWriteRequestSchema,
  RuleWriteResponse: ruleWriteResponseSchema,
  CartList: cartListSchema,
  SimulateRequest: simulateRequestSchema,
  SimulateResponse: simulateResponseSchema,
  EventList: eventListSchema,
  Event: eventDetailSchema,
  EventRetryResponse: eventRetrySchema,
  RedemptionCommittedEvent: redemptionCommittedEvent,
  RedemptionVoidedEvent: redemptionVoidedEvent,
  PosRewardTriggerEvent: posRewardTriggerEvent,
  PosRewardReverseEvent: posRewardReverseEvent,
  AbuseReport: abuseReportSchema,
  CleanupRequest: cleanupRequestSchema,
  CleanupResponse: cleanupResponseSchema,
  ReplayRequest: replayRequestSchema,
  ReplayReport: replayReportSchema,
  DiscountReport: discountReportSchema,
} as const;
export type SchemaName = keyof typeof API_SCHEMAS;

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true });
addFormats(ajv);
for (const s of Object.values(API_SCHEMAS)) ajv.addSchema(s);

export const apiValidators = Object.fromEntries(Object.entries(API_SCHEMAS).map(([name, s]) => [name, ajv.getSchema(s.$id)!])) as Record<SchemaName, ValidateFunction>;

const pointer = (segs: readonly (string | number)[]) => segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

function schemaDetails(validate: ValidateFunction, body: unknown, keep: (p: (string | number)[], message: string) => boolean = () => true): ErrorDetail[] {
  if (validate(body)) return [];
  return schemaIssues(validate.errors, body)
    .filter((i) => keep(i.pointer, i.message))
    .map((i) => ({ path: pointer(i.pointer), message: hint(i.pointer, body) ?? i.message }));
}

/** What a string field that fails its pattern must look like, in words (the pattern's own wording is generic). */
export const PATTERNS: Record<'transactionId' | 'path', { test: RegExp; message: string }> = {
  transactionId: { test: /^[A-Za-z0-9._:-]{1,128}$/, message: 'transactionId: must be 1-128 letters, digits, dots, underscores, colons or hyphens' },
  path: { test: /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\.(yaml|yml|json)$/, message: 'path: must be a file name in the rules directory ending in .yaml, .yml or .json' },
};

function hint(p: readonly (string | number)[], body: unknown): string | undefined {
  if (p.length !== 1 || typeof p[0] !== 'string' || !Object.hasOwn(PATTERNS, p[0])) return undefined;
  const value = (body as Record<string, unknown>)[p[0]];
  const rule = PATTERNS[p[0] as keyof typeof PATTERNS];
  return typeof value === 'string' && !rule.test.test(value) ? rule.message : undefined;
}

function invalid(details: ErrorDetail[]): ApiError {
  return new ApiError('invalid_request', details.length === 1 ? details[0].message : `the request has ${details.length} errors`, { details });
}

/** An evaluate request, by the core's checkRequest. */
export function parseEvaluateRequest(body: unknown): EvaluateRequest {
  const checked = checkRequest(body);
  if (!checked.ok) throw invalid(checked.errors.map((e) => ({ path: e.path, message: e.message })));
  return checked.value;
}

export interface RedemptionRequest {
  transactionId: string;
  expectedTotal?: number;
  request: EvaluateRequest;
}

const OWN = new Set(['transactionId', 'expectedTotal']);

/** A redemption request: its own fields by the redemption schema, the cart by checkRequest. */
export function parseRedemptionRequest(body: unknown): RedemptionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid(schemaDetails(apiValidators.RedemptionRequest, body));
  }
  const { transactionId, expectedTotal, ...rest } = body as Record<string, unknown>;
  const own = schemaDetails(apiValidators.RedemptionRequest, body, (p, message) =>
    p.length === 0 ? message.includes("'transactionId'") : OWN.has(String(p[0])),
  );
  const cart = checkRequest(rest);
  const details = [...own, ...(cart.ok ? [] : cart.errors.map((e) => ({ path: e.path, message: e.message })))];
  if (details.length || !cart.ok) throw invalid(sortDetails(details));
  return { transactionId: transactionId as string, ...(expectedTotal === undefined ? {} : { expectedTotal: expectedTotal as number }), request: cart.value };
}

/** Any body checked against one of the service's schemas. */
export function parseBody<T>(name: SchemaName, body: unknown): T {
  const details = schemaDetails(apiValidators[name], body);
  if (details.length) throw invalid(details);
  return body as T;
}

/** By the first pointer segment only; the sort is stable, so checkRequest's order (lines/2 before lines/10) stays. */
function sortDetails(details: ErrorDetail[]): ErrorDetail[] {
  const first = (p: string) => p.split('/')[1] ?? '';
  return details.sort((a, b) => {
    const x = first(a.path);
    const y = first(b.path);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
