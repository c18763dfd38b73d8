#include "query/traces_api.h"

#include <gtest/gtest.h>

namespace perfwatch::query {
namespace {

events::SpanRecord Span(uint64_t id, uint64_t parent, uint64_t start) {
  events::SpanRecord s;
  s.trace_id[15] = 1;
  for (int i = 0; i < 8; ++i) {
    s.span_id[7 - i] = static_cast<uint8_t>(id >> (8 * i));
    s.parent_span_id[7 - i] = static_cast<uint8_t>(parent >> (8 * i));
  }
  s.service = "svc";
  s.name = "op";
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + 10;
  return s;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(TraceTreeJson, DeepChainsCyclesAndRepeatsKeepEverySpanOnce) {
  std::vector<events::SpanRecord> spans;
  spans.push_back(Span(1, 0, 100));
  for (uint64_t i = 2; i <= 3000; ++i) spans.push_back(Span(i, i - 1, 100 + i));  // a 3,000-deep chain
  spans.push_back(Span(2, 1, 102));                                              // stored twice
  spans.push_back(Span(9001, 9002, 50));                                         // a parent cycle
  spans.push_back(Span(9002, 9001, 60));
  std::string json = TraceTreeJson(spans, spans.size());
  EXPECT_NE(json.find(R"("spanCount":3003,)"), std::string::npos);  // stored, repeats included
  EXPECT_EQ(Count(json, R"("spanId":)"), 3002u);                     // each span once
  EXPECT_EQ(Count(json, R"("orphan":true)"), 1u);  // the cycle: one shown as root, the other its child
  EXPECT_EQ(Count(json, "{"), Count(json, "}"));
  EXPECT_EQ(Count(json, "["), Count(json, "]"));
  // The chain nests 3,000 deep: the last span's object closes 3,000 levels down.
  std::string closes;
  for (int i = 0; i < 3000; ++i) closes += "]}";
  EXPECT_NE(json.find(closes), std::string::npos);
}

}  // namespace
}  // namespace perfwatch::query
