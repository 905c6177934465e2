// The "New" templates: one rule document per common kind of discount, with the id and name the
// merchandiser chose filled in. Each one compiles without errors against the demo store policy
// (test/editor/templates.test.ts) and is in the canonical form of `discounts fmt`, so a new rule
// starts valid and the author only changes values.

export interface Template {
  key: string;
  label: string;
  /** The document text for an id and a name. */
  text(id: string, name: string): string;
}

/** A YAML scalar for a name: plain when that is safe, double-quoted otherwise. */
export function yamlString(s: string): string {
  const plain =
    s !== '' &&
    !/^[-?:,\[\]{}#&*!|>'"%@`\s]/.test(s) &&
    !/(: |\s#|:$|\s$|[\n\t])/.test(s) &&
    !/^(y|n|yes|no|on|off|true|false|null|~)$/i.test(s) &&
    !/^[-+]?(\d[\d_.:eE+-]*|\.\d+)$/.test(s);
  return plain ? s : JSON.stringify(s);
}

const head = (id: string, name: string, description: string) => `id: ${id}\nname: ${yamlString(name)}\ndescription: ${yamlString(description)}\n`;

export const TEMPLATES: readonly Template[] = [
  {
    key: 'percentage',
    label: 'Percentage off a category',
    text: (id, name) => `${head(id, name, 'Percentage off every item in the categories below.')}type: percentage\nvalue: 15\nappliesTo:\n  categories: [flower]\nmaxDiscount: 25\nstackable: true\n`,
  },
  {
    key: 'fixed',
    label: 'Fixed amount off an order',
    text: (id, name) => `${head(id, name, 'A fixed amount off orders above a minimum.')}type: fixed\nvalue: 5\nminPurchase: 40\nstackable: true\n`,
  },
  {
    key: 'bogo',
    label: 'Buy X, get Y',
    text: (id, name) =>
      `${head(id, name, 'Buy two, the cheapest third item is half price.')}type: bogo\nappliesTo:\n  categories: [pre-rolls]\nstackable: true\nbogo:\n  buy: 2\n  get: 1\n  percentOff: 50\n  maxApplications: 2\n`,
  },
  {
    key: 'bogo-amount',
    label: 'Buy X, get $ off Y',
    text: (id, name) =>
      `${head(id, name, 'Buy a vape, get $5.00 off a battery (the cheapest first).')}type: bogo\nappliesTo:\n  categories: [vapes]\nstackable: true\nbogo:\n  buy: 1\n  get: 1\n  amountOff: 5\n  rewardAppliesTo:\n    categories: [accessories]\n`,
  },
  {
    key: 'per-unit',
    label: '$ off each item',
    text: (id, name) =>
      `${head(id, name, 'An amount off every eligible item, the most expensive first when maxUnits limits it.')}type: fixed\nvalue: 2\nper: unit\nmaxUnits: 6\nappliesTo:\n  categories: [pre-rolls]\nstackable: true\n`,
  },
  {
    key: 'set-price',
    label: 'Set price',
    text: (id, name) =>
      `${head(id, name, 'Every eligible item priced above this sells at it.')}type: price\nvalue: 5\nappliesTo:\n  categories: [pre-rolls]\nschedule:\n  days: [fri]\n`,
  },
  {
    key: 'bundle',
    label: 'Mix and match bundle',
    text: (id, name) =>
      `${head(id, name, 'Any 3 eligible items for one price, grouped from the most expensive.')}type: bundle\nbundle:\n  quantity: 3\n  price: 25\nappliesTo:\n  categories: [edibles]\n`,
  },
  {
    key: 'volume-tiers',
    label: 'Volume tiers',
    text: (id, name) =>
      `${head(id, name, 'The more eligible items, the bigger the percentage.')}type: percentage\ntiers:\n  - minQuantity: 3\n    value: 10\n  - minQuantity: 5\n    value: 15\nappliesTo:\n  categories: [edibles]\nstackable: true\n`,
  },
  {
    key: 'spend-tiers',
    label: 'Spend tiers',
    text: (id, name) =>
      `${head(id, name, 'Spend more, save more: the highest tier reached applies.')}type: fixed\ntiers:\n  - minSubtotal: 100\n    value: 15\n  - minSubtotal: 200\n    value: 40\n`,
  },
  {
    key: 'happy-hour',
    label: 'Happy hour',
    text: (id, name) =>
      `${head(id, name, 'Weekday afternoons, store time.')}type: percentage\nvalue: 20\nappliesTo:\n  categories: [edibles]\nschedule:\n  start: 2026-01-01\n  days: [mon, tue, wed, thu, fri]\n  hours:\n    from: "15:00"\n    to: "17:00"\nstackable: true\n`,
  },
  {
    key: 'loyalty',
    label: 'Loyalty tier',
    text: (id, name) => `${head(id, name, 'For members of the tiers below.')}type: percentage\nvalue: 5\ncustomer:\n  required: true\n  tiers: [silver, gold]\nstackable: true\n`,
  },
  {
    key: 'promo-code',
    label: 'Promo code',
    text: (id, name) => `${head(id, name, 'Entered at the counter; once per customer.')}type: fixed\nvalue: 3\ncode: ${id.replace(/[^a-z0-9]/g, '').toUpperCase().slice(0, 12).padEnd(3, 'X')}\nusageLimit: 500\nperCustomerLimit: 1\nstackable: true\n`,
  },
];

export const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const RESERVED_IDS = ['store', 'tests', 'carts', 'archive'];

/** Why an id cannot name a new rule file, or null. */
export function idProblem(id: string, existing: ReadonlySet<string>): string | null {
  if (id === '') return 'Enter an id.';
  if (!RULE_ID.test(id)) return 'Use lower-case letters, digits and "-" (at most 64, not starting with "-").';
  if (RESERVED_IDS.includes(id)) return `"${id}" is reserved for the rules folder itself.`;
  if (existing.has(id)) return `A rule with the id "${id}" already exists.`;
  return null;
}

/** An id suggested from a name: "Flower Friday 15%" -> "flower-friday-15". */
export function idFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}
