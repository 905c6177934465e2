// The editor's "New" templates: each compiles without a diagnostic next to the demo rules, is
// already in the canonical form of `discounts fmt`, and keeps odd names readable and exact.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idFromName, idProblem, TEMPLATES, yamlString } from '../../editor/src/templates.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import { formatDocument } from '../../src/dsl/format.js';
import { parseSource } from '../../src/dsl/source.js';

const RULES = join(import.meta.dirname, '..', '..', 'rules');
const demo = readdirSync(RULES)
  .filter((n) => n.endsWith('.yaml') && n !== 'store.yaml')
  .map((n) => ({ path: `rules/${n}`, text: readFileSync(join(RULES, n), 'utf8') }));
const store = { path: 'rules/store.yaml', text: readFileSync(join(RULES, 'store.yaml'), 'utf8') };

describe('templates', () => {
  it('are the six kinds the editor issue lists, and one per issue 14 type', () => {
    expect(TEMPLATES.map((t) => t.key)).toEqual([
      'percentage',
      'fixed',
      'bogo',
      'bogo-amount',
      'per-unit',
      'set-price',
      'bundle',
      'volume-tiers',
      'spend-tiers',
      'happy-hour',
      'loyalty',
      'promo-code',
    ]);
  });

  for (const t of TEMPLATES) {
    it(`${t.key}: compiles without diagnostics next to the demo rules, in canonical form`, () => {
      const id = `new-${t.key}`;
      const text = t.text(id, `New ${t.label}: 10% "off"`);
      const result = compileRuleset({ store, storePath: store.path, rules: [...demo, { path: `rules/${id}.yaml`, text }] });
      expect(result.diagnostics).toEqual([]);
      expect(result.ruleset!.discounts.find((d) => d.id === id)!.name).toBe(`New ${t.label}: 10% "off"`);
      const plain = t.text(id, 'Flower Friday 15%');
      expect(formatDocument(`rules/${id}.yaml`, plain, 'rule')).toEqual({ ok: true, text: plain });
    });
  }
});

describe('yamlString', () => {
  it('is plain when YAML reads it back as the same string, quoted otherwise', () => {
    for (const s of ['Flower Friday 15%', '$5 off', 'yes', 'No', '16:00', '12.5', '- dash', 'a: b', 'a #b', '@home', '%x', 'trailing ', '', 'null', 'Gold & silver', 'Tab\there'])
      expect(parseSource('x.yaml', `name: ${yamlString(s)}\n`).value, s).toEqual({ name: s });
    expect(yamlString('Flower Friday 15%')).toBe('Flower Friday 15%');
    expect(yamlString('yes')).toBe('"yes"');
  });
});

describe('ids', () => {
  it('suggests an id from a name and says what is wrong with one', () => {
    expect(idFromName('Flower Friday 15%')).toBe('flower-friday-15');
    expect(idFromName('  Crème brûlée -- édibles! ')).toBe('creme-brulee-edibles');
    const existing = new Set(['save5']);
    expect(idProblem('flower-friday', existing)).toBeNull();
    expect(idProblem('save5', existing)).toMatch(/already exists/);
    expect(idProblem('store', existing)).toMatch(/reserved/);
    expect(idProblem('Bad_Id', existing)).toMatch(/lower-case/);
    expect(idProblem('', existing)).toMatch(/Enter an id/);
  });
});
