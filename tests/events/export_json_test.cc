// EventJsonWriter (the export path) against the plain formatter AppendEventJson: the
// same bytes for every record, whether its strings are inline, defined or dictionary
// references (cached), and the fast escaper against AppendJsonString.
#include "events/export_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/json_writer.h"
#include "common/coding.h"
#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::OwnedEvent;

constexpr int64_t kT0 = 1700006400000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

// Encodes `e` into `p` and returns the record's payload and combo.
std::string_view Encode(Partition& p, const OwnedEvent& e, uint64_t seq, std::string& framed, uint32_t* combo) {
  std::string scratch;
  framed.clear();
  EventInput in = e.View();
  *combo = p.EncodeEvent(in, seq, scratch, framed);
  Decoder d(framed.data() + 4, framed.size() - 4);
  uint64_t len = 0;
  EXPECT_TRUE(d.Varint(&len));
  EXPECT_EQ(d.remaining(), len);
  return {d.position(), len};
}

TEST(ExportJsonTest, WriterMatchesAppendEventJson) {
  const std::vector<std::string> strings = {
      "", "a", "navigate", "\"quoted\"", "back\\slash", std::string("nul\0in", 6), "\x01\x1f\x7f",
      "h\xc3\xa9llo \xe2\x9c\x93", "TypeError: x is undefined\n\tat y (a.js:1:2)", std::string(100, 'x') + "\"",
      "https://shop.example/p/12?q=\"a\"&b=\\c", std::string(3000, '\\')};  // the last one: inline (too long)
  const std::vector<double> values = {std::nan(""), 0, -0.0, 1, 2810.3, -1.5, 0.1, 0.5, 1700000000, 1e15, 1e20,
                                      1e-7, std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
  const std::vector<std::string> attrs = {"", "{}", " { \"a\":1 } ", "{\"delta\":315,\"deviceMemory\":8}",
                                          "{\"x\":\"}\"}", "[1,2]", "{", "{ }"};
  std::mt19937 rng(3);
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };

  Partition p("/nonexistent", LogHeader{kT0, kDay});
  EventJsonWriter writer;
  writer.StartPartition(p);  // the dictionary grows afterwards: the writer's caches follow
  std::string framed, expected;
  RecordView r;
  for (uint64_t seq = 1; seq <= 3000; ++seq) {
    OwnedEvent e;
    e.type = static_cast<EventType>(1 + rng() % (kEventTypeCount - 1));
    e.vital = e.type == EventType::kVital ? static_cast<Vital>(rng() % kVitalCount) : Vital::kNone;
    e.time_ms = kT0 + static_cast<int64_t>(rng() % kDay);
    e.received_ms = e.time_ms + static_cast<int64_t>(rng() % 2000) - 1000;
    e.value = pick(values);
    for (auto& d : e.dims) d = rng() % 3 ? pick(strings).substr(0, 200) : std::string();
    e.name = pick(strings);
    e.url = pick(strings);
    e.user_agent = pick(strings);
    e.session_id = pick(strings);
    e.id = pick(strings);
    e.navigation_type = pick(strings);
    e.rating = pick(strings);
    e.attrs_json = pick(attrs);

    uint32_t combo;
    std::string_view payload = Encode(p, e, seq, framed, &combo);
    ASSERT_TRUE(p.DecodeRecord(payload, &r).ok());
    expected.clear();
    AppendEventJson(expected, r);
    size_t before = writer.size();
    ASSERT_TRUE(writer.Append(p, payload, combo).ok());
    ASSERT_EQ(writer.data().substr(before), expected) << "event " << seq;
    if (writer.size() > (64 << 10)) writer.Clear();
  }

  // A line far larger than the writer's initial buffer.
  OwnedEvent big;
  big.time_ms = kT0;
  big.value = 1;
  big.url = std::string(200000, '\x01');
  uint32_t combo;
  std::string_view payload = Encode(p, big, 5000, framed, &combo);
  ASSERT_TRUE(p.DecodeRecord(payload, &r).ok());
  expected.clear();
  AppendEventJson(expected, r);
  writer.Clear();
  ASSERT_TRUE(writer.Append(p, payload, combo).ok());
  EXPECT_EQ(writer.data(), expected);

  // Corrupt records are rejected like DecodeRecord rejects them.
  std::string bad(payload.substr(0, payload.size() - 1));
  EXPECT_FALSE(p.DecodeRecord(bad, &r).ok());
  EXPECT_FALSE(writer.Append(p, bad, combo).ok());
}

}  // namespace
}  // namespace perfwatch::events
