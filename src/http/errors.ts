// The one error type of the HTTP layer: it knows its status, its stable code and its body.
// Routes and middleware throw it; app.onError (src/http/app.ts) is the one place that turns it,
// or anything unexpected, into a response.

import type { Diagnostic, EvaluateResponse } from '../domain/types.js';

export const ERROR_CODES = [
  'invalid_request',
  'clock_skew',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'idempotency_conflict',
  'price_changed',
  'payload_too_large',
  'unsupported_media_type',
  'invalid_ruleset',
  'invalid_rule',
  'precondition_failed',
  'precondition_required',
  'not_retryable',
  'rate_limited',
  'unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 415 | 422 | 428 | 429 | 500 | 503> = {
  invalid_request: 400,
  clock_skew: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  price_changed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_ruleset: 422,
  invalid_rule: 422,
  precondition_failed: 412,
  precondition_required: 428,
  not_retryable: 409,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};

export interface ErrorDetail {
  /** JSON pointer into the request body ('' = the whole body), or the name of a header or parameter. */
  path: string;
  message: string;
}

/** The error body (schemas/error.schema.json). */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details: ErrorDetail[];
    /** price_changed: the new pricing. */
    evaluation?: EvaluateResponse;
    /** invalid_ruleset and invalid_rule: the diagnostics as `discounts validate --json` prints them. */
    diagnostics?: Diagnostic[];
    /** precondition_failed: the file's current revision (null when it no longer exists). */
    revision?: string | null;
  };
}

export class ApiError extends Error {
  readonly status: (typeof STATUS)[ErrorCode];
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly extra: Pick<ErrorBody['error'], 'evaluation' | 'diagnostics' | 'revision'>;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[]; extra?: ApiError['extra']; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = STATUS[code];
    this.details = options.details ?? [];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details, ...this.extra } };
  }
}

/** 503 with the Retry-After the POS should honour. */
export function unavailable(message: string, cause?: unknown): ApiError {
  return new ApiError('unavailable', message, { headers: { 'Retry-After': '1' }, cause });
}
