// Integer money arithmetic: exact conversion of authored decimals to minor units / basis points,
// round-half-up products, and display formatting. Safe-integer fast paths, BigInt where a product
// could pass 2^53.

import type { Minor } from './types.js';

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Converts a decimal number as written (e.g. 19.99) to an integer scaled by 10^digits (1999),
 * exactly, from its shortest decimal representation. Returns null when the number has more
 * decimals than `digits`, is not finite, or the result is not a safe integer.
 */
export function decimalToScaled(value: number, digits: number): number | null {
  if (!Number.isFinite(value)) return null;
  const negative = value < 0;
  let text = String(Math.abs(value));
  let exponent = 0;
  const e = text.indexOf('e');
  if (e >= 0) {
    exponent = Number(text.slice(e + 1));
    text = text.slice(0, e);
  }
  const dot = text.indexOf('.');
  let intPart = dot >= 0 ? text.slice(0, dot) : text;
  let fracPart = dot >= 0 ? text.slice(dot + 1) : '';
  // Apply the exponent by moving the decimal point.
  if (exponent > 0) {
    const move = fracPart.padEnd(exponent, '0');
    intPart += move.slice(0, exponent);
    fracPart = move.slice(exponent);
  } else if (exponent < 0) {
    const move = intPart.padStart(-exponent + 1, '0');
    fracPart = move.slice(move.length + exponent) + fracPart;
    intPart = move.slice(0, move.length + exponent);
  }
  fracPart = fracPart.replace(/0+$/, '');
  if (fracPart.length > digits) return null;
  const scaled = Number(intPart + fracPart.padEnd(digits, '0'));
  if (!Number.isSafeInteger(scaled)) return null;
  return negative ? -scaled : scaled;
}

/** round-half-up(a * b / d) for non-negative integers a, b and positive integer d. */
export function mulDivHalfUp(a: number, b: number, d: number): number {
  const p = a * b;
  if (p <= MAX) {
    let q = Math.floor(p / d);
    let r = p - q * d;
    if (r < 0) {
      q -= 1;
      r += d;
    } else if (r >= d) {
      q += 1;
      r -= d;
    }
    return 2 * r >= d ? q + 1 : q;
  }
  const P = BigInt(a) * BigInt(b);
  const D = BigInt(d);
  return Number((2n * P + D) / (2n * D));
}

/** floor(a * b / d) for non-negative integers a, b and positive integer d. */
export function mulDivFloor(a: number, b: number, d: number): number {
  const p = a * b;
  if (p <= MAX) {
    let q = Math.floor(p / d);
    const r = p - q * d;
    if (r < 0) q -= 1;
    else if (r >= d) q += 1;
    return q;
  }
  return Number((BigInt(a) * BigInt(b)) / BigInt(d));
}

const formatters = new Map<string, Intl.NumberFormat>();

/** "$4.50" for 450 USD. Deterministic: always the en-US presentation of the currency. */
export function formatMoney(amount: Minor, currency: string, digits: number): string {
  let f = formatters.get(currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(currency, f);
  }
  // Scale with string arithmetic so large amounts stay exact.
  const negative = amount < 0;
  const s = String(Math.abs(amount)).padStart(digits + 1, '0');
  const major = digits > 0 ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
  return f.format(Number((negative ? '-' : '') + major));
}

/** Digits after the decimal point for an ISO 4217 currency, or null when the code is unknown. */
export function currencyDigits(currency: string): number | null {
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  const known = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency');
  if (known && !known.includes(currency)) return null;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return null;
  }
}
