// An ordinary Express app instrumented with the OpenTelemetry Node SDK the way its
// documentation says (NodeSDK + getNodeAutoInstrumentations), exporting OTLP/HTTP traces
// to $OTLP_BASE/v1/traces — protobuf (@opentelemetry/exporter-trace-otlp-proto) or JSON
// (@opentelemetry/exporter-trace-otlp-http) by $OTLP_PROTOCOL — and metrics as OTLP JSON
// to $OTLP_BASE/v1/metrics. Driven by ../otel_express.test.mjs through IPC (fork):
//   -> {port}                       when listening
//   <- {cmd: 'shutdown'}            flush everything (sdk.shutdown()), then
//   -> {own: [...], exportErrors}   the app's own measurements of every server span
// CommonJS on purpose: the auto-instrumentations patch require() (ESM needs a loader hook).
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { diag, DiagLogLevel, SpanKind } = require('@opentelemetry/api');

const base = process.env.OTLP_BASE;
const protocol = process.env.OTLP_PROTOCOL === 'json' ? 'json' : 'protobuf';
const { OTLPTraceExporter } =
  protocol === 'json' ? require('@opentelemetry/exporter-trace-otlp-http') : require('@opentelemetry/exporter-trace-otlp-proto');

// Export failures are reported back to the test (a 4xx/5xx from perfwatch must fail it).
const exportErrors = [];
diag.setLogger(
  { error: (...a) => exportErrors.push(a.map(String).join(' ')), warn: () => {}, info: () => {}, debug: () => {}, verbose: () => {} },
  DiagLogLevel.ERROR,
);

// The app's own record of each server span as the SDK ended it (what it exported).
const own = [];
const recorder = {
  onStart() {},
  onEnd(span) {
    if (span.kind !== SpanKind.SERVER) return;
    const [s, ns] = span.duration;
    own.push({ name: span.name, attributes: span.attributes, status: span.status.code, seconds: s + ns / 1e9 });
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

const exporter = new OTLPTraceExporter({ url: `${base}/v1/traces` });
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': process.env.SERVICE_NAME || 'otel-express' }),
  spanProcessors: [recorder, new BatchSpanProcessor(exporter)],
  metricReader: new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
    exportIntervalMillis: 60000,
  }),
  instrumentations: [
    getNodeAutoInstrumentations({
      '@opentelemetry/instrumentation-fs': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      '@opentelemetry/instrumentation-net': { enabled: false },
    }),
  ],
});
sdk.start();

const express = require('express');
const app = express();
app.use(express.json());
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, name: 'user ' + req.params.id }));
app.post('/orders', (req, res) => setTimeout(() => res.status(201).json({ ok: true, items: req.body.items }), 3));
app.get('/fail', (req, res, next) => next(new Error('failing on purpose')));
// Express' default handlers answer the rest: 404 for no route, 500 for the error above.
app.use((err, req, res, next) => res.status(500).json({ error: err.message }));

const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
// The app's own timer, independent of OpenTelemetry: from the server's 'request' event to
// the response's 'finish' (last byte handed to the socket), per request in arrival order.
const finishes = [];
server.prependListener('request', (req, res) => {
  const t0 = process.hrtime.bigint();
  const path = req.url;
  res.on('finish', () =>
    finishes.push({ method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }),
  );
});
process.on('message', async (m) => {
  if (m.cmd !== 'shutdown') return;
  server.close();
  await sdk.shutdown();  // flushes the batch processor and the metric reader
  process.send({ own, finishes, exportErrors }, () => process.exit(0));
});
