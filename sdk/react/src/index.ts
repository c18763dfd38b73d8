// @perfwatch/react: React hooks over the browser SDK (@perfwatch/rum). docs/integrations.md.
export { PerfwatchProvider, usePerfwatch, type Budget, type Perfwatch, type PerfwatchConfig } from './context';
export { usePerformanceMonitor, measure, budgetStatus, type BudgetStatus, type Measure, type Vital } from './monitor';
export { useMemoryProfiler, type HeapSample, type MemoryOptions, type MemoryProfile } from './memory';
export { detectLeak, type LeakOptions, type LeakVerdict, type Severity } from './leak';
export { useNetworkProfiler, profile, type Bottleneck, type NetworkProfile } from './network';
export { useAlertManager, alertEvent, type Alert, type AlertOptions } from './alerts';
export { usePerformanceScore, type PageScore, type ScoreOptions, type ScoreState } from './score';
export { useRenderTracking, useInteractionTracking, useUserJourney } from './tracking';
