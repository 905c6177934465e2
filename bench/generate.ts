// Seeded generators for benchmark rulesets and carts (never committed as files).
//
// Rules: 80% automatic "v% off category cat-k" (v from 5 to 30, stackable), 20% code rules
// (CODE-<i>, alternating $ off and % off, half of them stackable). Carts: L lines over random
// categories, 0-2 codes entered.

import type { RuleSource } from '../src/dsl/compile.js';
import type { EvaluateRequest } from '../src/domain/types.js';

/** mulberry32: small, fast, good enough for test data; same seed -> same sequence. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BENCH_STORE: RuleSource = {
  path: 'bench/store.yaml',
  text: 'store: bench\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\nmaxDiscountPercent: 60\n',
};

export interface GeneratedRules {
  store: RuleSource;
  rules: RuleSource[];
  codes: string[];
}

export function generateRules(count: number, categories: number, seed = 1): GeneratedRules {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const rules: RuleSource[] = [];
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `rule-${String(i).padStart(5, '0')}`;
    let text: string;
    if (i % 5 !== 4) {
      const k = int(0, categories - 1);
      const v = int(5, 30);
      text = `id: ${id}\nname: ${v}% off cat-${k}\ntype: percentage\nvalue: ${v}\nappliesTo:\n  categories: [cat-${k}]\nstackable: true\n`;
    } else {
      const code = `CODE-${i}`;
      codes.push(code);
      const fixed = r() < 0.5;
      const v = fixed ? int(1, 20) : int(5, 25);
      text =
        `id: ${id}\nname: Code ${code}, ${fixed ? `$${v} off` : `${v}% off`}\ntype: ${fixed ? 'fixed' : 'percentage'}\nvalue: ${v}\n` +
        `code: ${code}\nminPurchase: ${int(0, 50)}\nstackable: ${r() < 0.5}\n`;
    }
    rules.push({ path: `bench/${id}.yaml`, text });
  }
  return { store: BENCH_STORE, rules, codes };
}

export function generateCarts(n: number, lines: number, categories: number, codes: string[], seed = 2): EvaluateRequest[] {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const carts: EvaluateRequest[] = [];
  for (let c = 0; c < n; c++) {
    const entered: string[] = [];
    const k = codes.length ? int(0, 2) : 0;
    for (let j = 0; j < k; j++) entered.push(codes[int(0, codes.length - 1)].toLowerCase());
    carts.push({
      at: '2026-11-20T16:30:00',
      customer: { id: `cust-${int(1, 1000)}`, tier: 'silver' },
      codes: entered,
      lines: Array.from({ length: lines }, (_, i) => ({
        id: `l${i}`,
        productId: `sku-${int(1, 5000)}`,
        category: `cat-${int(0, categories - 1)}`,
        unitPrice: int(100, 10000),
        quantity: int(1, 3),
        cannabis: r() < 0.9,
      })),
    });
  }
  return carts;
}

/**
 * The selectors issue's mix, the size of (b): 40% "v% off brand-b", 20% "v% off category cat-k with
 * tag t", 20% "v% off cat-k except tag sale-shelf" (automatic, stackable), 20% code rules as above;
 * a store that never discounts gift cards. Carts carry brands, vendors and tags.
 */
export function generateSelectorRules(count: number, categories: number, brands: number, seed = 1): GeneratedRules {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const base = generateRules(count, categories, seed);
  const rules = base.rules.map((rule, i): RuleSource => {
    const id = `rule-${String(i).padStart(5, '0')}`;
    const v = int(5, 30);
    const k = int(0, categories - 1);
    switch (i % 5) {
      case 0:
      case 1: {
        const b = int(0, brands - 1);
        return { path: rule.path, text: `id: ${id}\nname: ${v}% off brand-${b}\ntype: percentage\nvalue: ${v}\nappliesTo:\n  brands: [brand-${b}]\nstackable: true\n` };
      }
      case 2:
        return {
          path: rule.path,
          text: `id: ${id}\nname: ${v}% off indica cat-${k}\ntype: percentage\nvalue: ${v}\nappliesTo:\n  categories: [cat-${k}]\n  tags: [indica]\nstackable: true\n`,
        };
      case 3:
        return {
          path: rule.path,
          text: `id: ${id}\nname: ${v}% off cat-${k} but the sale shelf\ntype: percentage\nvalue: ${v}\nappliesTo:\n  categories: [cat-${k}]\n  exclude:\n    tags: [sale-shelf]\nstackable: true\n`,
        };
      default:
        return rule; // the code rules of generateRules
    }
  });
  const store: RuleSource = { path: BENCH_STORE.path, text: `${BENCH_STORE.text}neverDiscount:\n  categories: [gift-cards]\n` };
  return { store, rules, codes: base.codes };
}

/** Carts as generateCarts, each line with a brand, a vendor and tags (and one gift card in ten lines). */
export function generateSelectorCarts(n: number, lines: number, categories: number, brands: number, codes: string[], seed = 2): EvaluateRequest[] {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  return generateCarts(n, lines, categories, codes, seed).map((cart) => ({
    ...cart,
    lines: cart.lines.map((l) => {
      const tags = [r() < 0.5 ? 'indica' : 'sativa', ...(r() < 0.2 ? ['sale-shelf'] : [])];
      const gift = r() < 0.1;
      return { ...l, category: gift ? 'gift-cards' : l.category, brand: `brand-${int(0, brands - 1)}`, vendor: `vendor-${int(0, 20)}`, tags };
    }),
  }));
}

/**
 * Issue 14's types, the size of (b), over the same categories and carts as (b): per category k, one
 * of $v off each unit (maxUnits on half), a set price, any 3 for $P, volume tiers by units, spend
 * tiers by subtotal, buy 1 get 1 $v off, and percentage rules; automatic and stackable, plus 20%
 * code rules as in generateRules.
 */
export function generateTypeRules(count: number, categories: number, seed = 1): GeneratedRules {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const rules: RuleSource[] = [];
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `rule-${String(i).padStart(5, '0')}`;
    const k = int(0, categories - 1);
    const head = `id: ${id}\nname: Rule ${i} on cat-${k}\n`;
    const sel = `appliesTo:\n  categories: [cat-${k}]\nstackable: true\n`;
    let text: string;
    switch (i % 10) {
      case 0:
        text = `${head}type: fixed\nvalue: ${int(1, 5)}\nper: unit\n${i % 20 === 0 ? `maxUnits: ${int(1, 4)}\n` : ''}${sel}`;
        break;
      case 1:
        text = `${head}type: price\nvalue: ${int(5, 60)}\n${sel}`;
        break;
      case 2:
        text = `${head}type: bundle\nbundle:\n  quantity: 3\n  price: ${int(20, 150)}\n${sel}`;
        break;
      case 3:
        text = `${head}type: percentage\ntiers:\n  - minQuantity: 2\n    value: ${int(5, 10)}\n  - minQuantity: 4\n    value: ${int(11, 20)}\n${sel}`;
        break;
      case 4:
        text = `${head}type: fixed\ntiers:\n  - minSubtotal: 50\n    value: ${int(3, 8)}\n  - minSubtotal: 150\n    value: ${int(9, 20)}\n${sel}`;
        break;
      case 5:
        text = `${head}type: bogo\nappliesTo:\n  categories: [cat-${k}]\nstackable: true\nbogo:\n  buy: 1\n  get: 1\n  amountOff: ${int(2, 10)}\n`;
        break;
      case 6:
      case 7: {
        const code = `CODE-${i}`;
        codes.push(code);
        text = `${head}type: fixed\nvalue: ${int(1, 20)}\ncode: ${code}\nminPurchase: ${int(0, 50)}\nstackable: ${r() < 0.5}\n`;
        break;
      }
      default:
        text = `${head}type: percentage\nvalue: ${int(5, 30)}\n${sel}`;
    }
    rules.push({ path: `bench/${id}.yaml`, text });
  }
  return { store: BENCH_STORE, rules, codes };
}
