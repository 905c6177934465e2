// The public surface: a change to the export list must show up in review.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "DIAGNOSTIC_CODES",
        "ELIGIBILITY_REASONS",
        "MODE_CAPABILITIES",
        "OPERATORS",
        "POS_MODES",
        "POS_PROFILES",
        "REASONS",
        "USER_FACTS",
        "allocateByWeights",
        "allocateWithCaps",
        "checkRequest",
        "checkUsage",
        "compileCondition",
        "compileRuleset",
        "decimalToScaled",
        "evaluate",
        "evaluationFacts",
        "findProfile",
        "formatDiagnostic",
        "formatDocument",
        "formatMoney",
        "loadRuleset",
        "normalizeCode",
        "posSheet",
        "posSheetCsv",
        "prepareRuleset",
        "readRulesDir",
        "runWithEngine",
        "schemas",
        "validators",
      ]
    `);
  });
});
