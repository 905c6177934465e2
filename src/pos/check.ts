// Compile stage: checks one rule document against the store's POS profile, so a rule the POS
// cannot honour fails validation in review instead of at the counter.

import type { DiagnosticCode, Severity } from '../domain/types.js';
import { MODE_CAPABILITIES, POS_SELECTORS, type PosProfile } from './profiles.js';

export type PosReport = (pointer: (string | number)[], code: DiagnosticCode, message: string, severity: Severity) => void;

export function checkPos(doc: Record<string, unknown>, profile: PosProfile, report: PosReport, idChecks = true): void {
  const caps = MODE_CAPABILITIES[profile.mode];
  const who = `${profile.name} (pos: ${profile.id}, ${profile.mode})`;
  const pos = doc.pos !== null && typeof doc.pos === 'object' ? (doc.pos as Record<string, unknown>) : null;
  const discountId = typeof pos?.discountId === 'string' ? pos.discountId : null;
  const missingAt = pos ? ['pos'] : ['id'];

  if (idChecks && discountId === null && caps.discountId === 'required')
    report(missingAt, 'pos_discount_id_required', `${who} needs pos.discountId: the discount must exist in the POS and be linked by its ID`, 'error');
  if (idChecks && discountId === null && caps.discountId === 'recommended')
    report(missingAt, 'pos_discount_id_missing', `${who}: add pos.discountId so the POS copy of this discount can be matched`, 'warning');
  if (idChecks && discountId !== null && caps.discountId === 'unused')
    report(['pos', 'discountId'], 'pos_discount_id_not_used', `${who} does not use a POS discount ID; this one is ignored`, 'warning');

  if (typeof doc.type === 'string' && !(caps.types as readonly string[]).includes(doc.type))
    report(['type'], 'pos_type_unsupported', `${who} supports only ${list(caps.types)} discounts, not ${doc.type}`, 'error');
  if (Array.isArray(doc.tiers) && !caps.pricing.includes('tiers'))
    report(['tiers'], 'pos_type_unsupported', `${who} cannot represent tiered discounts (tiers); the POS can only apply one fixed value`, 'error');
  if (doc.per === 'unit' && !caps.pricing.includes('per-unit'))
    report(['per'], 'pos_type_unsupported', `${who} cannot take an amount off each unit (per: unit)`, 'error');

  // Selector lists the POS cannot express (appliesTo and a bogo's rewardAppliesTo).
  const selectors: [unknown, (string | number)[]][] = [[doc.appliesTo, ['appliesTo']]];
  if (doc.bogo !== null && typeof doc.bogo === 'object') selectors.push([(doc.bogo as Record<string, unknown>).rewardAppliesTo, ['bogo', 'rewardAppliesTo']]);
  for (const [sel, at] of selectors) {
    if (sel === null || typeof sel !== 'object') continue;
    for (const key of POS_SELECTORS)
      if ((sel as Record<string, unknown>)[key] !== undefined && !caps.selectors.includes(key))
        report([...at, key], 'pos_selector_unsupported', `${who} cannot restrict a discount by ${key === 'exclude' ? 'excluded items' : key}`, 'error');
  }

  if (doc.budget !== undefined && !caps.budget)
    report(['budget'], 'pos_budget_unsupported', `${who} applies its own amount for this discount and cannot honour a partly used budget`, 'error');

  if (!caps.cartLevel) {
    if (doc.minPurchase !== undefined && doc.minPurchase !== 0)
      report(['minPurchase'], 'pos_cart_level_unsupported', `${who} cannot require a minimum purchase`, 'error');
    for (const pointer of cartFactLeaves(doc.conditions, ['conditions']))
      report([...pointer, 'fact'], 'pos_cart_level_unsupported', `${who} cannot apply conditions on the cart`, 'error');
  }
}

function list(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Pointers to condition leaves over the `cart` fact. */
function cartFactLeaves(node: unknown, pointer: (string | number)[]): (string | number)[][] {
  if (node === null || typeof node !== 'object') return [];
  const n = node as Record<string, unknown>;
  const out: (string | number)[][] = [];
  for (const op of ['all', 'any'] as const) {
    if (Array.isArray(n[op])) (n[op] as unknown[]).forEach((c, i) => out.push(...cartFactLeaves(c, [...pointer, op, i])));
  }
  if (n.not !== undefined) out.push(...cartFactLeaves(n.not, [...pointer, 'not']));
  if (n.fact === 'cart') out.push(pointer);
  return out;
}
