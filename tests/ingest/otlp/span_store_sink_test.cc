#include "ingest/otlp/span_store_sink.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace perfwatch::ingest::otlp {
namespace {

Span MakeSpan(uint8_t n, uint64_t start, uint64_t end) {
  Span s;
  s.trace_id[0] = n;
  s.span_id[0] = n;
  s.name = "GET /x";
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  return s;
}

TEST(SpanStoreSink, ConvertsTypesAndSkipsTheSpansTheReceiverRejects) {
  TracesRequest req;
  ResourceSpans& rs = req.resource_spans.emplace_back();  // no service.name
  ScopeSpans& ss = rs.scope_spans.emplace_back();
  Span good = MakeSpan(1, 1000, 3000);
  good.status_code = SpanStatusCode::kError;
  good.status_message = "boom";
  good.kind = static_cast<SpanKind>(42);  // outside the enum: stored as unspecified
  good.attributes = {{"s", {.type = AnyValue::Type::kString, .string_value = "v"}},
                     {"i", {.type = AnyValue::Type::kInt, .int_value = -7}},
                     {"d", {.type = AnyValue::Type::kDouble, .double_value = 1.5}},
                     {"b", {.type = AnyValue::Type::kBool, .bool_value = true}},
                     {"a", {.type = AnyValue::Type::kArray, .string_value = R"(["x",1])"}}};
  good.events.push_back({.time_unix_nano = 2000, .name = "exception", .attributes = {{"exception.type", {.type = AnyValue::Type::kString, .string_value = "E"}}}});
  ss.spans = {good, MakeSpan(2, 0, 5), MakeSpan(3, 10, 5)};  // missing start; end before start
  std::vector<events::SpanRecord> out;
  ToSpanRecords(req, out);
  ASSERT_EQ(out.size(), 1u);
  const events::SpanRecord& r = out[0];
  EXPECT_EQ(r.service, "unknown_service");
  EXPECT_EQ(r.kind, 0);
  EXPECT_EQ(r.status_code, events::kSpanStatusError);
  EXPECT_EQ(r.status_message, "boom");
  ASSERT_EQ(r.attributes.size(), 5u);
  EXPECT_EQ(r.attributes[1].type, events::SpanAttribute::Type::kInt);
  EXPECT_EQ(r.attributes[1].int_value, -7);
  EXPECT_EQ(r.attributes[2].double_value, 1.5);
  EXPECT_TRUE(r.attributes[3].bool_value);
  EXPECT_EQ(r.attributes[4].string_value, R"(["x",1])");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].attributes[0].string_value, "E");

  perfwatch::testing::TempDir dir;
  auto store = events::SpanStore::Open(dir.path(), {.retention_ms = 0, .fsync_interval_ms = 0}, nullptr);
  ASSERT_TRUE(store.ok());
  uint64_t stored = 0;
  ASSERT_TRUE(StoreSpans(store->get(), req, &stored).ok());
  EXPECT_EQ(stored, 1u);
  std::vector<events::SpanRecord> trace;
  uint64_t total = 0;
  ASSERT_TRUE((*store)->GetTrace(r.trace_id, 10, &trace, &total).ok());
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0], r);
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
