// The library's public API (named exports only). test/package.test.ts snapshots this list so a
// change to the public surface shows up in review.

export type {
  AppliedDiscount,
  BasisPoints,
  CartLine,
  CompiledDiscount,
  Customer,
  Diagnostic,
  DiagnosticCode,
  DiscountType,
  EngineCondition,
  EngineRule,
  EvaluateRequest,
  EvaluateResponse,
  LineResult,
  Minor,
  PosInstruction,
  PricingAction,
  Reason,
  Rejection,
  RuleDocument,
  Severity,
  StorePolicy,
  StorePolicyDocument,
  Usage,
} from './domain/types.js';
export { DIAGNOSTIC_CODES, ELIGIBILITY_REASONS, REASONS } from './domain/types.js';
export { decimalToScaled, formatMoney } from './domain/money.js';

export type { CompiledRuleset, CompileOptions, CompileResult, RuleSource } from './dsl/compile.js';
export { compileRuleset, formatDiagnostic, normalizeCode, OPERATORS, USER_FACTS } from './dsl/compile.js';
export { formatDocument, type FormatResult } from './dsl/format.js';
export { schemas, validators } from './dsl/schemas.js';

export { compileCondition, runWithEngine } from './engine/conditions.js';
export { evaluate, evaluationFacts, type EvaluateOptions } from './engine/evaluate.js';
export { prepareRuleset, type PreparedRuleset } from './engine/prepare.js';
export { checkRequest, checkUsage, type Checked, type InputError } from './engine/request.js';

export { allocateByWeights, allocateWithCaps } from './pricing/allocate.js';

export { findProfile, MODE_CAPABILITIES, POS_MODES, POS_PROFILES, type PosMode, type PosProfile } from './pos/profiles.js';
export { posSheet, posSheetCsv, type PosSheet, type PosSheetRow } from './pos/sheet.js';

export { loadRuleset, readRulesDir, type LoadedRuleset } from './ruleset/load.js';
