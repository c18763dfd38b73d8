// The module tests/e2e/bundle_report.test.mjs enlarges (it appends products) to check
// that growth beyond 20 % fails the report.
export const products = [
  { id: 1, name: 'Espresso cup', price: 1290 },
  { id: 2, name: 'Milk jug', price: 1850 },
  { id: 3, name: 'Grinder', price: 8900 },
  { id: 4, name: 'Tamper', price: 2400 },
  { id: 5, name: 'Scale', price: 3100 },
];
