// @perfwatch/node: one-line OpenTelemetry setup for Node.js backends reporting to perfwatch.
//
//   const perfwatch = require('@perfwatch/node').start({ service: 'shop-api' });
//   ...
//   await perfwatch.shutdown();  // on SIGTERM: flushes every span, metric and error log
//
// start() configures the OpenTelemetry Node SDK (@opentelemetry/sdk-node) with the
// auto-instrumentations (HTTP, Express, pg, mysql, redis, ... and the Node runtime
// metrics) and OTLP/HTTP protobuf exporters pointed at perfwatch's receiver
// (POST <endpoint>/v1/traces, /v1/metrics, /v1/logs; docs/otlp.md), so the server derives
// RED metrics per route, DB and HTTP-client durations and error groups from the spans, and
// the leak detector reads the V8 heap series. It never throws because perfwatch is down:
// export failures are reported to `onExportError` (default: one console warning per
// outage) and the data of that export is dropped, as OpenTelemetry does.
// Options and what is sent: docs/integrations.md ("Node.js backends").
'use strict';

const os = require('node:os');
const { diag } = require('@opentelemetry/api');
const { NodeSDK, tracing, metrics, logs, resources } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');

/** perfwatch's default listener (`listen: 127.0.0.1:9797`) always serves /v1/*. */
const DEFAULT_ENDPOINT = 'http://127.0.0.1:9797';
const DEFAULT_METRICS_INTERVAL_MS = 15000;  // = analysis.leak.step, the leak detector's resolution
const SEVERITY_ERROR = 17;  // OTLP SeverityNumber ERROR; perfwatch stores ERROR and above as errors

// Off unless the caller turns them on in `instrumentations`: fs, dns and net are noisy for
// a web backend (a span per file read, DNS lookup or socket); router instruments the
// `router` package that Express 5 is built on, so with the Express instrumentation every
// middleware got two spans and an error thrown in a handler three `exception` events
// (three occurrences in perfwatch's error groups for one failed request).
const QUIET_BY_DEFAULT = [
  '@opentelemetry/instrumentation-fs',
  '@opentelemetry/instrumentation-dns',
  '@opentelemetry/instrumentation-net',
  '@opentelemetry/instrumentation-router',
];

let active = null;  // the handle of the running start(), if any

function envString(name) {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** The base URL the /v1/* paths are appended to: option, $PERFWATCH_ENDPOINT, default. */
function resolveEndpoint(option) {
  const raw = option ?? envString('PERFWATCH_ENDPOINT') ?? DEFAULT_ENDPOINT;
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`@perfwatch/node: endpoint "${raw}" is not a URL (want e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`@perfwatch/node: endpoint "${raw}" must be http:// or https://`);
  }
  // A base given with the signal path (…/v1/traces) or a trailing slash is reduced to the base.
  return url.href.replace(/\/+$/, '').replace(/\/v1\/(traces|metrics|logs)$/, '');
}

function resolveService(option) {
  const s = option ?? envString('PERFWATCH_SERVICE') ?? envString('OTEL_SERVICE_NAME') ?? envString('npm_package_name');
  return s ?? `unknown_service:${process.argv0 || 'node'}`;
}

/**
 * Wraps an OTLP exporter so every failed export is reported to `report(signal, error)`;
 * the exporter's own behaviour (retries on 429/503, timeouts) is unchanged.
 */
function observeExports(exporter, signal, report) {
  const original = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    original(items, (result) => {
      try {
        report(signal, result && result.code !== 0 ? (result.error || new Error(`${signal} export failed`)) : null);
      } catch {}  // a throwing callback must not break the SDK
      done(result);
    });
  return exporter;
}

/** Default error reporting: one warning when exports start failing, one when they recover. */
function warnOnce() {
  const state = { failing: false };
  const report = (signal, error) => {
    if (error && !state.failing) {
      state.failing = true;
      console.warn(`@perfwatch/node: exporting ${signal} to perfwatch failed (${error.message || error}); ` +
        'telemetry is dropped until it succeeds again');
    } else if (!error && state.failing) {
      state.failing = false;
      console.warn(`@perfwatch/node: exporting to perfwatch works again (${signal})`);
    }
  };
  report.state = state;
  return report;
}

/**
 * A log processor that passes on only what perfwatch stores (docs/otlp.md, Receiver):
 * records of severity ERROR and above and records with exception.* attributes. The rest
 * would be counted and dropped by the server, so they are not sent.
 */
class ErrorLogFilter {
  constructor(next) {
    this.next = next;
  }
  onEmit(record, context) {
    const severe = (record.severityNumber ?? 0) >= SEVERITY_ERROR;
    const attributes = record.attributes || {};
    if (severe || Object.keys(attributes).some((k) => k.startsWith('exception.'))) this.next.onEmit(record, context);
  }
  forceFlush() {
    return this.next.forceFlush();
  }
  shutdown() {
    return this.next.shutdown();
  }
}

/**
 * Starts the OpenTelemetry Node SDK reporting to perfwatch. Call it once, before the app
 * requires the modules it instruments (express, http, pg, ...). Returns a handle:
 * `shutdown()` flushes everything and stops (resolves, never rejects), `flush()` exports
 * what is buffered now, plus `sdk`, `endpoint`, `service` and `resource` for inspection.
 */
function start(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('@perfwatch/node: start(options) wants an object');
  if (active) {
    console.warn('@perfwatch/node: start() was called again; the SDK is already running (returning the first handle)');
    return active;
  }
  const endpoint = resolveEndpoint(options.endpoint);
  const service = resolveService(options.service);
  const token = options.token ?? envString('PERFWATCH_TOKEN');
  const intervalMs = Number(options.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS);
  if (!Number.isFinite(intervalMs) || intervalMs < 1000) throw new TypeError('@perfwatch/node: metricsIntervalMs must be at least 1000');
  const shutdownTimeoutMs = Number(options.shutdownTimeoutMs ?? 5000);
  if (!(shutdownTimeoutMs >= 0)) throw new TypeError('@perfwatch/node: shutdownTimeoutMs must be a number >= 0');
  const compression = options.compression ?? 'gzip';
  if (compression !== 'gzip' && compression !== 'none') throw new TypeError('@perfwatch/node: compression must be "gzip" or "none"');
  const report = typeof options.onExportError === 'function'
    ? (signal, error) => { if (error) options.onExportError(error, signal); }
    : warnOnce();

  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const exporterOptions = (signal) => ({ url: `${endpoint}/v1/${signal}`, headers, compression, timeoutMillis: 10000 });

  // Resource: service.name (and the rest) as perfwatch reads them: `service` label of the
  // RED series, `job`/`instance` of the metric series (docs/otlp.md, Metrics).
  const attributes = {
    'service.instance.id': options.instance ?? `${os.hostname()}:${process.pid}`,
    ...(options.version ?? envString('npm_package_version') ? { 'service.version': options.version ?? envString('npm_package_version') } : {}),
    ...(options.environment ?? envString('NODE_ENV') ? { 'deployment.environment.name': options.environment ?? envString('NODE_ENV') } : {}),
    ...(options.resourceAttributes || {}),
  };
  if (options.namespace) attributes['service.namespace'] = options.namespace;

  const spanProcessor = new tracing.BatchSpanProcessor(observeExports(new OTLPTraceExporter(exporterOptions('traces')), 'traces', report), {
    scheduledDelayMillis: 2000,
  });
  const metricReader = new metrics.PeriodicExportingMetricReader({
    exporter: observeExports(new OTLPMetricExporter(exporterOptions('metrics')), 'metrics', report),
    exportIntervalMillis: intervalMs,
    exportTimeoutMillis: Math.min(10000, intervalMs),
  });
  const sendLogs = options.logs !== false;
  const logProcessor = sendLogs
    ? new ErrorLogFilter(new logs.BatchLogRecordProcessor({ exporter: observeExports(new OTLPLogExporter(exporterOptions('logs')), 'logs', report) }))
    : null;

  const instrumentationConfig = {};
  for (const name of QUIET_BY_DEFAULT) instrumentationConfig[name] = { enabled: false };
  // Uncaught exceptions become ERROR log records (-> perfwatch's error groups).
  instrumentationConfig['@opentelemetry/instrumentation-runtime-node'] = { captureUncaughtException: sendLogs };
  for (const [name, config] of Object.entries(options.instrumentations || {})) {
    instrumentationConfig[name] = { ...(instrumentationConfig[name] || {}), ...config };
  }

  const sdk = new NodeSDK({
    serviceName: service,
    resource: resources.resourceFromAttributes(attributes),
    spanProcessors: [spanProcessor],
    metricReaders: [metricReader],
    // Always given (also empty): without it NodeSDK would set up an exporter from OTEL_* env.
    logRecordProcessors: logProcessor ? [logProcessor] : [],
    instrumentations: [getNodeAutoInstrumentations(instrumentationConfig), ...(options.extraInstrumentations || [])],
  });
  try {
    sdk.start();
  } catch (e) {
    // Telemetry must not take the app down.
    diag.error('@perfwatch/node: the OpenTelemetry SDK did not start', e);
    console.warn(`@perfwatch/node: not instrumented: ${e && e.message}`);
  }

  let stopped = null;
  const handle = {
    sdk,
    endpoint,
    service,
    resource: attributes,
    /** Exports what is buffered now (spans, metrics, error logs); resolves when done. */
    async flush() {
      await Promise.allSettled([spanProcessor.forceFlush(), metricReader.forceFlush(), logProcessor && logProcessor.forceFlush()]);
    },
    /**
     * Flushes and stops the SDK; resolves within `shutdownTimeoutMs` (default 5000) even
     * when perfwatch does not answer; safe to call more than once; never rejects.
     */
    shutdown() {
      if (!stopped) {
        const done = sdk.shutdown().catch((e) => {
          if (typeof options.onExportError === 'function') options.onExportError(e, 'shutdown');
          else if (!(report.state && report.state.failing)) console.warn(`@perfwatch/node: shutdown: ${e && e.message}`);
        });
        let timer;
        const late = new Promise((r) => {
          timer = setTimeout(() => {
            const e = new Error(`perfwatch at ${endpoint} did not take the last export within ${shutdownTimeoutMs} ms; stopped without it`);
            if (typeof options.onExportError === 'function') options.onExportError(e, 'shutdown');
            else console.warn(`@perfwatch/node: ${e.message}`);
            r();
          }, shutdownTimeoutMs);
          timer.unref();
        });
        stopped = Promise.race([done, late]).then(() => {
          clearTimeout(timer);
          if (active === handle) active = null;
        });
      }
      return stopped;
    },
  };
  active = handle;
  return handle;
}

module.exports = { start, resolveEndpoint, DEFAULT_ENDPOINT };
// `import perfwatch from '@perfwatch/node'` compiled to CommonJS reads `.default`.
module.exports.default = module.exports;
