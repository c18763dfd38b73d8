// OTLP trace decoding speed: spans/s for a typical export batch (512 server spans, 10
// attributes each, as the Node SDK's BatchSpanProcessor sends them under one resource
// with 8 attributes), protobuf and JSON, into the owning model of otlp_model.h.
// The receiver's target is >= 100,000 spans/s end to end, so decoding must be far faster.
//
//   nice ninja -C build bench/otlp_decode_benchmark && build/bench/otlp_decode_benchmark
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "../tests/ingest/otlp/proto_builder.h"
#include "ingest/otlp/otlp_json.h"
#include "ingest/otlp/otlp_proto.h"

namespace {

using namespace perfwatch;
using namespace perfwatch::ingest::otlp;
using perfwatch::ingest::otlp::testing::ProtoBuilder;
using perfwatch::ingest::otlp::testing::StringAttr;

constexpr int kSpans = 512;

const char* const kRoutes[] = {"/api/users/:id", "/api/orders", "/api/orders/:id/items", "/health",
                               "/api/cart", "/api/search", "/login", "/api/products/:sku"};

struct Batch {
  std::string proto;
  std::string json;
};

std::string Hex(uint64_t v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return std::string(buf + (std::string_view(buf).size() - digits));
}

Batch MakeBatch() {
  Batch b;
  ProtoBuilder resource;
  std::string rjson = R"({"resourceSpans":[{"resource":{"attributes":[)";
  const std::pair<const char*, const char*> kResource[] = {
      {"service.name", "checkout"},           {"service.version", "1.4.2"},
      {"telemetry.sdk.name", "opentelemetry"}, {"telemetry.sdk.language", "nodejs"},
      {"telemetry.sdk.version", "1.28.0"},     {"host.name", "web-7f9c5d-x2x4q"},
      {"process.runtime.name", "nodejs"},      {"process.runtime.version", "20.11.1"}};
  bool first = true;
  for (auto [k, v] : kResource) {
    resource.Message(1, StringAttr(k, v));
    rjson += std::string(first ? "" : ",") + R"({"key":")" + k + R"(","value":{"stringValue":")" + v + "\"}}";
    first = false;
  }
  rjson += R"(]},"scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-http","version":"0.55.0"},"spans":[)";
  ProtoBuilder scope_spans;
  scope_spans.Message(1, ProtoBuilder().Bytes(1, "@opentelemetry/instrumentation-http").Bytes(2, "0.55.0"));
  for (int i = 0; i < kSpans; ++i) {
    const std::string trace_hex = Hex(0x5b8efff798038103ULL + i, 16) + Hex(0xd269b633813fc60cULL * (i + 1), 16);
    const std::string span_hex = Hex(0xeee19b7ec3c1b174ULL + 7 * i, 16);
    const std::string route = kRoutes[i % 8];
    const uint64_t start = 1700000000000000000ULL + uint64_t(i) * 1000000;
    const uint64_t end = start + 1000 * (2000 + (i * 7919) % 300000);
    const int status = i % 50 == 0 ? 500 : 200;
    const std::pair<std::string, std::string> str_attrs[] = {
        {"http.request.method", i % 5 == 0 ? "POST" : "GET"},
        {"url.path", route + "/" + std::to_string(i)},
        {"http.route", route},
        {"url.scheme", "http"},
        {"server.address", "checkout.internal"},
        {"network.protocol.version", "1.1"},
        {"client.address", "10.0.3." + std::to_string(i % 250)},
        {"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0"}};
    ProtoBuilder span;
    span.Bytes(1, testing::Unhex(trace_hex))
        .Bytes(2, testing::Unhex(span_hex))
        .Bytes(5, "GET " + route)
        .Varint(6, 2)
        .Fixed64(7, start)
        .Fixed64(8, end)
        .Fixed32(16, 1);
    std::string sj = std::string(i ? "," : "") + R"({"traceId":")" + trace_hex + R"(","spanId":")" + span_hex +
                     R"(","name":"GET )" + route + R"(","kind":2,"startTimeUnixNano":")" + std::to_string(start) +
                     R"(","endTimeUnixNano":")" + std::to_string(end) + R"(","flags":1,"attributes":[)";
    bool f = true;
    for (const auto& [k, v] : str_attrs) {
      span.Message(9, StringAttr(k, v));
      sj += std::string(f ? "" : ",") + R"({"key":")" + k + R"(","value":{"stringValue":")" + v + "\"}}";
      f = false;
    }
    span.Message(9, ProtoBuilder().Bytes(1, "http.response.status_code").Message(2, ProtoBuilder().Varint(3, status)));
    span.Message(9, ProtoBuilder().Bytes(1, "server.port").Message(2, ProtoBuilder().Varint(3, 8080)));
    sj += R"(,{"key":"http.response.status_code","value":{"intValue":")" + std::to_string(status) +
          R"("}},{"key":"server.port","value":{"intValue":"8080"}}],"status":{"code":)" +
          (status == 500 ? "2" : "0") + "}}";
    span.Message(15, ProtoBuilder().Varint(3, status == 500 ? 2 : 0));
    scope_spans.Message(2, span);
    rjson += sj;
  }
  rjson += "]}]}]}";
  b.proto = ProtoBuilder().Message(1, ProtoBuilder().Message(1, resource).Message(2, scope_spans)).bytes();
  b.json = std::move(rjson);
  return b;
}

const Batch& TheBatch() {
  static const Batch batch = [] {
    Batch b = MakeBatch();
    // Both encodings must carry the same batch.
    TracesRequest p, j;
    JsonDecoder d;
    if (!DecodeTracesProto(b.proto, &p).ok() || !d.DecodeTraces(b.json, &j).ok() || !(p == j) ||
        p.span_count() != kSpans) {
      std::fprintf(stderr, "otlp_decode_benchmark: the two encodings differ\n");
      std::abort();
    }
    return b;
  }();
  return batch;
}

void BM_DecodeTracesProto(benchmark::State& state) {
  const Batch& b = TheBatch();
  TracesRequest out;
  for (auto _ : state) {
    Status st = DecodeTracesProto(b.proto, &out);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.proto.size()));
  state.counters["body_bytes"] = static_cast<double>(b.proto.size());
}
BENCHMARK(BM_DecodeTracesProto);

void BM_DecodeTracesJson(benchmark::State& state) {
  const Batch& b = TheBatch();
  JsonDecoder decoder;
  TracesRequest out;
  for (auto _ : state) {
    Status st = decoder.DecodeTraces(b.json, &out);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.json.size()));
  state.counters["body_bytes"] = static_cast<double>(b.json.size());
}
BENCHMARK(BM_DecodeTracesJson);

}  // namespace
