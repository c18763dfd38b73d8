// Types of @perfwatch/node (hand-written; the package is plain CommonJS: index.js).
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';

export interface PerfwatchOptions {
  /** `service.name`: the `service` label of the RED series and `job` of the metrics. Default: $PERFWATCH_SERVICE, $OTEL_SERVICE_NAME, the npm package name, else `unknown_service:node`. */
  service?: string;
  /** Base URL of perfwatch's OTLP receiver; `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended. Default: $PERFWATCH_ENDPOINT, else `http://127.0.0.1:9797`. */
  endpoint?: string;
  /** API token with the `ingest` scope, sent as `Authorization: Bearer <token>`. Default: $PERFWATCH_TOKEN; none when unset. */
  token?: string;
  /** `service.namespace` (then `job` is `namespace/service`). */
  namespace?: string;
  /** `service.version`. Default: $npm_package_version. */
  version?: string;
  /** `deployment.environment.name`. Default: $NODE_ENV. */
  environment?: string;
  /** `service.instance.id` (the `instance` label). Default: `<hostname>:<pid>`. */
  instance?: string;
  /** More resource attributes. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Extra HTTP headers on every export. */
  headers?: Record<string, string>;
  /** How often metrics are exported, in ms (at least 1000). Default 15000. */
  metricsIntervalMs?: number;
  /** Request body compression. Default `'gzip'`. */
  compression?: 'gzip' | 'none';
  /** Send error log records (severity ERROR and above, or with `exception.*` attributes; uncaught exceptions). Default true. */
  logs?: boolean;
  /** Longest wait of `shutdown()` for the last export, in ms. Default 5000. */
  shutdownTimeoutMs?: number;
  /** Per-instrumentation configuration, merged over the defaults (fs, dns, net and router are off). */
  instrumentations?: InstrumentationConfigMap;
  /** Instrumentations beyond the auto-instrumentations. */
  extraInstrumentations?: Instrumentation[];
  /** Called for each failed export (`signal`: 'traces', 'metrics', 'logs' or 'shutdown'). Default: one console warning per outage. */
  onExportError?: (error: Error, signal: 'traces' | 'metrics' | 'logs' | 'shutdown') => void;
}

export interface PerfwatchHandle {
  /** The running OpenTelemetry Node SDK. */
  readonly sdk: NodeSDK;
  /** The resolved base URL. */
  readonly endpoint: string;
  /** The resolved `service.name`. */
  readonly service: string;
  /** The resource attributes set (besides `service.name` and the detected ones). */
  readonly resource: Record<string, string | number | boolean>;
  /** Exports what is buffered now (spans, metrics, error logs). */
  flush(): Promise<void>;
  /** Flushes and stops; resolves within `shutdownTimeoutMs`; never rejects; idempotent. */
  shutdown(): Promise<void>;
}

/** Starts the OpenTelemetry Node SDK reporting to perfwatch. Call once, before requiring the modules to instrument. */
export function start(options?: PerfwatchOptions): PerfwatchHandle;
/** The base URL `start()` would use for `endpoint` (validates it; strips `/v1/<signal>` and trailing slashes). */
export function resolveEndpoint(endpoint?: string): string;
export const DEFAULT_ENDPOINT: string;

declare const perfwatch: { start: typeof start; resolveEndpoint: typeof resolveEndpoint; DEFAULT_ENDPOINT: string };
export default perfwatch;
