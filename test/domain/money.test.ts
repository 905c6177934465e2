import { describe, expect, it } from 'vitest';
import { currencyDigits, decimalToScaled, formatMoney, mulDivFloor, mulDivHalfUp } from '../../src/domain/money.js';

describe('decimalToScaled', () => {
  it('converts authored decimals exactly, where binary floating point would not', () => {
    expect(decimalToScaled(19.99, 2)).toBe(1999);
    expect(decimalToScaled(0.29, 2)).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(decimalToScaled(1.005, 3)).toBe(1005);
    expect(decimalToScaled(10, 2)).toBe(1000);
    expect(decimalToScaled(0.01, 2)).toBe(1);
    expect(decimalToScaled(12.5, 2)).toBe(1250);
    expect(decimalToScaled(5, 0)).toBe(5);
  });
  it('refuses more decimals than allowed', () => {
    expect(decimalToScaled(10.005, 2)).toBeNull();
    expect(decimalToScaled(0.5, 0)).toBeNull();
    expect(decimalToScaled(1e-7, 2)).toBeNull();
  });
  it('handles exponent notation and rejects non-finite or unsafe values', () => {
    expect(decimalToScaled(1e21, 0)).toBeNull();
    expect(decimalToScaled(1.5e3, 2)).toBe(150000);
    expect(decimalToScaled(Number.NaN, 2)).toBeNull();
    expect(decimalToScaled(Number.POSITIVE_INFINITY, 2)).toBeNull();
  });
});

describe('mulDivHalfUp / mulDivFloor', () => {
  it('rounds half up', () => {
    expect(mulDivHalfUp(3505, 2000, 10000)).toBe(701);
    expect(mulDivHalfUp(701, 5000, 10000)).toBe(351); // 350.5 -> 351
    expect(mulDivHalfUp(1, 4999, 10000)).toBe(0);
    expect(mulDivHalfUp(1, 5000, 10000)).toBe(1);
    expect(mulDivFloor(5001, 1250, 10000)).toBe(625);
  });
  it('is exact past 2^53 (BigInt path)', () => {
    const a = 500 * 10000 * 100_000_000; // 5e14: 500 lines x 10,000 units x $1,000,000.00
    expect(mulDivHalfUp(a, 3333, 10000)).toBe(Number((BigInt(a) * 3333n * 2n + 10000n) / 20000n));
    expect(mulDivFloor(a, 9999, 10000)).toBe(Number((BigInt(a) * 9999n) / 10000n));
  });
});

describe('currencies', () => {
  it('knows minor digits from ISO 4217', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(currencyDigits('USX')).toBeNull();
    expect(currencyDigits('usd')).toBeNull();
  });
  it('formats amounts for messages', () => {
    expect(formatMoney(450, 'USD', 2)).toBe('$4.50');
    expect(formatMoney(5, 'USD', 2)).toBe('$0.05');
    expect(formatMoney(123456, 'USD', 2)).toBe('$1,234.56');
    expect(formatMoney(500, 'JPY', 0)).toBe('¥500');
  });
});
