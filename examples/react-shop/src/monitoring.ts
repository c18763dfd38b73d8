// Seed 000's productionMonitoringConfig as provider props: the budgets the hooks check in
// the page. Its alert thresholds are enforced by perfwatch's rules on the server
// (docs/integrations.md has the matching rule file).
export const monitoring = {
  // Passed to the browser SDK: a `traceparent` on every same-origin fetch (the shop API under
  // /shop-api), so each page view lists the backend traces it caused (navigation beacon's
  // `traces`) and the API's spans continue the browser's trace ids.
  tracePropagation: true,
  budgets: {
    LCP: { budget: 2500, alertThreshold: 3000 },
    INP: { budget: 200, alertThreshold: 500 },
    CLS: { budget: 0.1, alertThreshold: 0.15 },
    'api-response-time': { budget: 500, alertThreshold: 1000 },
    'render:ProductGrid': { budget: 16, alertThreshold: 32 },
  },
  memory: { heapUsageThreshold: 0.8, leakDetectionWindow: 60_000 },
  network: { resourceCountBudget: 100, totalSizeBudget: 2_048_000, criticalPathBudget: 1500 },
};
