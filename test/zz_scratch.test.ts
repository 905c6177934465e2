import { test } from 'vitest';
import { compileCondition } from '../src/engine/conditions.js';
import { Engine } from 'json-rules-engine';
test('x', async () => {
for (const [tree, facts] of [
  [{ fact: 'customer', path: '$.tier.length', operator: 'equal', value: 4 }, { customer: { tier: 'gold' } }],
  [{ fact: 'customer', path: '$.tier[0]', operator: 'equal', value: 'g' }, { customer: { tier: 'gold' } }],
] as any[]) {
const e = new Engine([], { allowUndefinedFacts: false });
e.addRule({ conditions: { all: [tree] }, event: { type: 'x' } });
const r = await e.run(facts);
console.log('engine', r.results.length > 0, 'compiled', compileCondition(tree)(facts));
}
});
