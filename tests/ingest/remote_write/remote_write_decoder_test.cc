#include "ingest/remote_write/remote_write_decoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/label_validation.h"
#include "ingest/remote_write/remote_write_encoder.h"

namespace perfwatch::ingest {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;
using Samples = std::vector<std::pair<int64_t, double>>;

std::string Snappy(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

Labels LabelsOf(const RemoteWriteSeries& s) {
  Labels out;
  for (const auto& l : s.labels) out.emplace_back(std::string(l.name), std::string(l.value));
  return out;
}

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

// Decodes raw protobuf through the snappy path and through the raw entry point, checks
// both agree on OK-ness, and returns the snappy-path status.
Status DecodeBoth(RemoteWriteDecoder& d, const std::string& raw) {
  Status raw_status = d.DecodeUncompressed(raw);
  Status s = d.Decode(Snappy(raw));
  EXPECT_EQ(raw_status.ok(), s.ok());
  EXPECT_EQ(raw_status.message(), s.message());
  return s;
}

// Expects `raw` to be rejected with kInvalidArgument and a message containing `needle`.
void ExpectInvalid(const std::string& raw, std::string_view needle) {
  RemoteWriteDecoder d;
  Status s = DecodeBoth(d, raw);
  ASSERT_FALSE(s.ok()) << "expected an error containing: " << needle;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("at byte "), std::string::npos) << s.message();
  EXPECT_EQ(d.num_series(), 0u);  // all or nothing
  EXPECT_EQ(d.num_samples(), 0u);
}

std::string OneSeries(const Labels& labels, const Samples& samples = {{1000, 1.0}}) {
  return EncodeWriteRequest({EncodeTimeSeries(labels, samples)});
}

// ------------------------------------------------------------------ happy paths

TEST(RemoteWriteDecoderTest, EmptyRequestHasNoSeries) {
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, "").ok());
  EXPECT_EQ(d.num_series(), 0u);
  EXPECT_EQ(d.num_samples(), 0u);
  EXPECT_TRUE(d.metadata().empty());
}

TEST(RemoteWriteDecoderTest, DecodesSeriesAndSamples) {
  std::string raw = EncodeWriteRequest({
      EncodeTimeSeries({{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}},
                       {{1700000000000, 1.0}, {1700000010000, 0.0}}),
      EncodeTimeSeries({{"__name__", "temp_celsius"},
                        {"room",
                         "k\xc3\xbc"
                         "che"}},
                       {{-5, -273.15}}),
  });
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, raw).ok());
  ASSERT_EQ(d.num_series(), 2u);
  EXPECT_EQ(d.num_samples(), 3u);
  EXPECT_EQ(d.decompressed_bytes(), raw.size());
  RemoteWriteSeries s0 = d.series(0);
  EXPECT_EQ(LabelsOf(s0), (Labels{{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}}));
  ASSERT_EQ(s0.samples.size(), 2u);
  EXPECT_EQ(s0.samples[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(s0.samples[0].value, 1.0);
  EXPECT_EQ(s0.samples[1].timestamp_ms, 1700000010000);
  RemoteWriteSeries s1 = d.series(1);
  EXPECT_EQ(LabelsOf(s1), (Labels{{"__name__", "temp_celsius"},
                                  {"room",
                                   "k\xc3\xbc"
                                   "che"}}));
  ASSERT_EQ(s1.samples.size(), 1u);
  EXPECT_EQ(s1.samples[0].timestamp_ms, -5);
  EXPECT_EQ(s1.samples[0].value, -273.15);
  EXPECT_EQ(s1.num_histograms, 0u);
  EXPECT_EQ(s1.num_exemplars, 0u);
}

TEST(RemoteWriteDecoderTest, SpecialValuesAreBitExact) {
  const uint64_t kStale = 0x7ff0000000000002ULL;
  const uint64_t bits[] = {kStale,
                           0x7ff8000000000001ULL,  // quiet NaN with a payload
                           0xfff8000000000000ULL,  // negative NaN
                           Bits(std::numeric_limits<double>::infinity()),
                           Bits(-std::numeric_limits<double>::infinity()),
                           Bits(-0.0),
                           Bits(std::numeric_limits<double>::denorm_min()),
                           Bits(std::numeric_limits<double>::max())};
  ProtoWriter ts;
  ts.BytesField(1, EncodeLabel("__name__", "x"));
  int64_t t = std::numeric_limits<int64_t>::min();
  for (uint64_t b : bits) {
    ts.BytesField(2,
                  ProtoWriter().Fixed64Field(1, b).VarintField(2, static_cast<uint64_t>(t)).str());
    t = t == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : t / 3;
  }
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, EncodeWriteRequest({ts.str()})).ok());
  auto samples = d.series(0).samples;
  ASSERT_EQ(samples.size(), std::size(bits));
  EXPECT_EQ(samples[0].timestamp_ms, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(samples[1].timestamp_ms, std::numeric_limits<int64_t>::max());
  for (size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(Bits(samples[i].value), bits[i]) << i;
}

TEST(RemoteWriteDecoderTest, SortsUnsortedLabels) {
  RemoteWriteDecoder d;
  ASSERT_TRUE(
      DecodeBoth(
          d,
          OneSeries({{"zone", "z"}, {"job", "j"}, {"__name__", "m"}, {"a", "1"}, {"Z", "upper"}}))
          .ok());
  EXPECT_EQ(LabelsOf(d.series(0)),
            (Labels{{"Z", "upper"}, {"__name__", "m"}, {"a", "1"}, {"job", "j"}, {"zone", "z"}}));
}

TEST(RemoteWriteDecoderTest, ManyLabelsSortedWithoutLimit) {
  Labels labels;
  for (int i = 99; i >= 0; --i) labels.emplace_back("l" + std::to_string(1000 + i), "v");
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, OneSeries(labels)).ok());
  auto got = d.series(0).labels;
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].name, got[i].name);
}

TEST(RemoteWriteDecoderTest, EmptyLabelValuesAreDropped) {
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, OneSeries({{"__name__", "m"}, {"empty", ""}, {"job", "j"}})).ok());
  EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"__name__", "m"}, {"job", "j"}}));
}

TEST(RemoteWriteDecoderTest, SeriesWithoutMetricNameIsAccepted) {
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, OneSeries({{"job", "j"}})).ok());
  EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"job", "j"}}));
}

TEST(RemoteWriteDecoderTest, SeriesWithoutSamplesIsKept) {
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, OneSeries({{"__name__", "m"}}, {})).ok());
  ASSERT_EQ(d.num_series(), 1u);
  EXPECT_TRUE(d.series(0).samples.empty());
}

TEST(RemoteWriteDecoderTest, FieldOrderDoesNotMatter) {
  // Samples before labels, labels interleaved with samples, value after name, timestamp
  // before value, metadata before timeseries.
  ProtoWriter ts;
  ts.BytesField(2, ProtoWriter().VarintField(2, 5).DoubleField(1, 2.5).str());
  ts.BytesField(1, ProtoWriter().BytesField(2, "j").BytesField(1, "job").str());
  ts.BytesField(2, ProtoWriter().VarintField(2, 6).DoubleField(1, 3.5).str());
  ts.BytesField(1, ProtoWriter().BytesField(2, "m").BytesField(1, "__name__").str());
  ProtoWriter req;
  req.BytesField(3, EncodeMetadata(1, "m", "help", ""));
  req.BytesField(1, ts.str());
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, req.str()).ok());
  ASSERT_EQ(d.num_series(), 1u);
  EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"__name__", "m"}, {"job", "j"}}));
  ASSERT_EQ(d.series(0).samples.size(), 2u);
  EXPECT_EQ(d.series(0).samples[0].timestamp_ms, 5);
  EXPECT_EQ(d.series(0).samples[0].value, 2.5);
  EXPECT_EQ(d.series(0).samples[1].timestamp_ms, 6);
  ASSERT_EQ(d.metadata().size(), 1u);
}

TEST(RemoteWriteDecoderTest, LastScalarWinsAndDefaultsApply) {
  ProtoWriter ts;
  ts.BytesField(
      1, ProtoWriter().BytesField(1, "wrong").BytesField(1, "__name__").BytesField(2, "m").str());
  ts.BytesField(2, ProtoWriter().DoubleField(1, 1).DoubleField(1, 2).VarintField(2, 7).str());
  ts.BytesField(2, "");  // empty Sample: value 0, timestamp 0
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, EncodeWriteRequest({ts.str()})).ok());
  EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"__name__", "m"}}));
  auto samples = d.series(0).samples;
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].value, 2.0);
  EXPECT_EQ(samples[0].timestamp_ms, 7);
  EXPECT_EQ(samples[1].value, 0.0);
  EXPECT_EQ(samples[1].timestamp_ms, 0);
}

TEST(RemoteWriteDecoderTest, SkipsUnknownFieldsOfEveryWireType) {
  auto unknowns = [](ProtoWriter& w) {
    w.VarintField(15, uint64_t{1} << 40);
    w.Fixed64Field(16, 42);
    w.Fixed32Field(17, 7);
    w.BytesField(18, "opaque bytes \xff\xfe");
    // A (proto2) group holding a nested group and scalars.
    w.Tag(19, ProtoWriter::kGroupStart).VarintField(1, 3).Tag(2, ProtoWriter::kGroupStart);
    w.Fixed32Field(3, 1).Tag(2, ProtoWriter::kGroupEnd).Tag(19, ProtoWriter::kGroupEnd);
    w.VarintField(536870911, 1);  // the largest field number
  };
  ProtoWriter label;
  unknowns(label);
  label.BytesField(1, "__name__").BytesField(2, "m");
  ProtoWriter sample;
  sample.DoubleField(1, 9.0);
  unknowns(sample);
  sample.VarintField(2, 100);
  ProtoWriter ts;
  unknowns(ts);
  ts.BytesField(1, label.str()).BytesField(2, sample.str());
  ProtoWriter md;
  unknowns(md);
  md.VarintField(1, 2).BytesField(2, "m").VarintField(3, 1).BytesField(4, "h").BytesField(5, "u");
  ProtoWriter req;
  unknowns(req);
  req.BytesField(2, "reserved field 2 as used by Cortex");
  req.BytesField(1, ts.str()).BytesField(3, md.str());
  unknowns(req);
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, req.str()).ok());
  ASSERT_EQ(d.num_series(), 1u);
  EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"__name__", "m"}}));
  ASSERT_EQ(d.series(0).samples.size(), 1u);
  EXPECT_EQ(d.series(0).samples[0].value, 9.0);
  EXPECT_EQ(d.series(0).samples[0].timestamp_ms, 100);
  ASSERT_EQ(d.metadata().size(), 1u);
  EXPECT_EQ(d.metadata()[0].type, RemoteWriteMetricType::kGauge);
  EXPECT_EQ(d.metadata()[0].help, "h");
  EXPECT_EQ(d.metadata()[0].unit, "u");
}

TEST(RemoteWriteDecoderTest, CountsHistogramsAndExemplars) {
  ProtoWriter ts;
  ts.BytesField(1, EncodeLabel("__name__", "h"));
  // Exemplar{labels, value, timestamp} and a Histogram with packed and non-packed
  // repeated fields: skipped whole, only counted.
  ts.BytesField(
      3, ProtoWriter().BytesField(1, EncodeLabel("trace_id", "abc")).DoubleField(2, 1).str());
  ts.BytesField(4, ProtoWriter()
                       .VarintField(1, 3)
                       .BytesField(9, std::string("\x02\x04\x06", 3))
                       .VarintField(9, 8)
                       .DoubleField(3, 1.5)
                       .str());
  ts.BytesField(4, "");
  ts.BytesField(2, EncodeSample(10, 1));
  RemoteWriteDecoder d;
  ASSERT_TRUE(
      DecodeBoth(d, EncodeWriteRequest({ts.str(), OneSeries({{"a", "b"}}).substr(2)})).ok());
  ASSERT_EQ(d.num_series(), 2u);
  EXPECT_EQ(d.series(0).num_histograms, 2u);
  EXPECT_EQ(d.series(0).num_exemplars, 1u);
  EXPECT_EQ(d.series(0).samples.size(), 1u);
  EXPECT_EQ(d.num_histograms(), 2u);
  EXPECT_EQ(d.num_exemplars(), 1u);
}

TEST(RemoteWriteDecoderTest, DecodesMetadata) {
  std::string raw = EncodeWriteRequest(
      {}, {EncodeMetadata(1, "http_requests_total", "Requests served.", ""),
           EncodeMetadata(3, "latency_seconds", "Latency \xe2\x80\x94 all routes.", "seconds"),
           EncodeMetadata(99, "odd", "", "")});
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, raw).ok());
  ASSERT_EQ(d.metadata().size(), 3u);
  EXPECT_EQ(d.metadata()[0].type, RemoteWriteMetricType::kCounter);
  EXPECT_EQ(d.metadata()[0].metric_family_name, "http_requests_total");
  EXPECT_EQ(d.metadata()[0].help, "Requests served.");
  EXPECT_EQ(d.metadata()[0].unit, "");
  EXPECT_EQ(d.metadata()[1].type, RemoteWriteMetricType::kHistogram);
  EXPECT_EQ(d.metadata()[1].unit, "seconds");
  EXPECT_EQ(d.metadata()[2].type, RemoteWriteMetricType::kUnknown);  // out of range
  EXPECT_EQ(d.num_series(), 0u);
}

// `v` as a varint padded to `n` bytes (legal, non-canonical protobuf).
std::string PaddedVarint(uint64_t v, int n) {
  std::string out;
  for (int i = 0; i < n - 1; ++i) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

TEST(RemoteWriteDecoderTest, NonCanonicalVarintsAreAccepted) {
  ProtoWriter sample;
  sample.DoubleField(1, 1).Tag(2, ProtoWriter::kVarint).Raw(PaddedVarint(1, 10));
  ProtoWriter ts;
  ts.BytesField(1, EncodeLabel("a", "b"));
  ts.Raw(PaddedVarint((2 << 3) | 2, 3)).Raw(PaddedVarint(sample.size(), 5)).Raw(sample.str());
  RemoteWriteDecoder d;
  ASSERT_TRUE(DecodeBoth(d, EncodeWriteRequest({ts.str()})).ok());
  ASSERT_EQ(d.series(0).samples.size(), 1u);
  EXPECT_EQ(d.series(0).samples[0].timestamp_ms, 1);
}

// ------------------------------------------------------------------ protobuf errors

TEST(RemoteWriteDecoderTest, RejectsTruncatedVarints) {
  ExpectInvalid("\x0a", "truncated varint");  // length missing
  ExpectInvalid("\x80", "truncated varint");  // tag cut
  ExpectInvalid(EncodeWriteRequest({std::string("\x12\x02\x10\x80", 4)}), "truncated varint");
}

TEST(RemoteWriteDecoderTest, RejectsVarintOverflow) {
  ExpectInvalid(std::string("\x20") + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
                "overflows 64 bits");
  ExpectInvalid(std::string("\x20") + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00",
                "overflows 64 bits");
}

TEST(RemoteWriteDecoderTest, RejectsLengthsPastTheEnd) {
  ExpectInvalid("\x0a\x05\x0a\x03", "runs past the end");
  ExpectInvalid(std::string("\x0a\xff\xff\xff\xff\x0f"), "runs past the end");
  // A label whose declared length exceeds its TimeSeries (but not the whole body).
  std::string ts = std::string("\x0a\x10") + EncodeLabel("a", "b");
  ExpectInvalid(EncodeWriteRequest({ts}) + std::string(32, '\0'), "runs past the end");
  ExpectInvalid(EncodeWriteRequest({std::string("\x12\x09\x09\x01\x02", 5)}), "runs past the end");
  ExpectInvalid(EncodeWriteRequest({std::string("\x12\x03\x09\x01\x02", 5)}),
                "truncated sample value");
  ExpectInvalid(std::string("\x11\x01\x02"), "truncated fixed64");
  ExpectInvalid(std::string("\x15\x01\x02"), "truncated fixed32");
}

TEST(RemoteWriteDecoderTest, RejectsWrongWireTypes) {
  ExpectInvalid(ProtoWriter().VarintField(1, 3).str(), "timeseries has wire type 0");
  ExpectInvalid(ProtoWriter().Fixed64Field(3, 3).str(), "metadata has wire type 1");
  ExpectInvalid(EncodeWriteRequest({ProtoWriter().VarintField(1, 1).str()}),
                "labels has wire type 0");
  ExpectInvalid(EncodeWriteRequest({ProtoWriter().Fixed32Field(2, 1).str()}),
                "samples has wire type 5");
  ExpectInvalid(EncodeWriteRequest({ProtoWriter()
                                        .BytesField(1, EncodeLabel("a", "b"))
                                        .BytesField(2, ProtoWriter().VarintField(1, 1).str())
                                        .str()}),
                "sample value has wire type 0");
  ExpectInvalid(EncodeWriteRequest({ProtoWriter()
                                        .BytesField(1, EncodeLabel("a", "b"))
                                        .BytesField(2, ProtoWriter().Fixed64Field(2, 1).str())
                                        .str()}),
                "sample timestamp has wire type 1");
  ExpectInvalid(EncodeWriteRequest(
                    {ProtoWriter().BytesField(1, ProtoWriter().VarintField(1, 1).str()).str()}),
                "name has wire type 0");
  ExpectInvalid(EncodeWriteRequest({}, {ProtoWriter().BytesField(1, "x").str()}),
                "metadata type has wire type 2");
}

TEST(RemoteWriteDecoderTest, RejectsInvalidTags) {
  ExpectInvalid(std::string("\x26\x00", 2), "invalid wire type 6 (field 4)");
  ExpectInvalid(std::string("\x27\x00", 2), "invalid wire type 7 (field 4)");
  ExpectInvalid(std::string("\x0e\x00", 2), "timeseries has wire type 6 (invalid)");
  ExpectInvalid(std::string("\x02\x00", 2), "invalid field number 0");
  ExpectInvalid(ProtoWriter().Tag(5, ProtoWriter::kGroupEnd).str(), "end-group without");
  ExpectInvalid(ProtoWriter().Tag(5, ProtoWriter::kGroupStart).VarintField(1, 1).str(),
                "unterminated group");
  ExpectInvalid(ProtoWriter().Tag(5, ProtoWriter::kGroupStart).Tag(6, ProtoWriter::kGroupEnd).str(),
                "mismatched end-group");
  ProtoWriter deep;
  for (int i = 0; i < 40; ++i) deep.Tag(5, ProtoWriter::kGroupStart);
  ExpectInvalid(deep.str(), "nested too deeply");
  // Field numbers above 2^29-1 do not exist.
  ExpectInvalid(ProtoWriter().Varint((uint64_t{1} << 32) << 3).Varint(0).str(),
                "invalid field number");
}

// ------------------------------------------------------------------ label rules

TEST(RemoteWriteDecoderTest, RejectsInvalidLabelNames) {
  ExpectInvalid(OneSeries({{"", "v"}}), "invalid label name \"\"");
  ExpectInvalid(OneSeries({{"1abc", "v"}}), "invalid label name \"1abc\"");
  ExpectInvalid(OneSeries({{"a-b", "v"}}), "invalid label name \"a-b\"");
  ExpectInvalid(OneSeries({{"a.b", "v"}}), "invalid label name");
  ExpectInvalid(OneSeries({{"a:b", "v"}}), "invalid label name");
  ExpectInvalid(OneSeries({{"caf\xc3\xa9", "v"}}), "invalid label name \"caf\\xc3\\xa9\"");
  // Checked even when the value is empty (the label would be dropped otherwise).
  ExpectInvalid(OneSeries({{"ok", "v"}, {"bad name", ""}}), "label 1: invalid label name");
}

TEST(RemoteWriteDecoderTest, RejectsInvalidUtf8Values) {
  const char* bad[] = {"\xff",         "\xc3",
                       "\xc0\xaf",     "\xe0\x80\xaf",
                       "\xed\xa0\x80", "\xf4\x90\x80\x80",
                       "abc\x80",      "\xf8\x88\x80\x80\x80"};
  for (const char* v : bad) {
    SCOPED_TRACE(QuoteForError(v));
    ExpectInvalid(OneSeries({{"__name__", "m"}, {"v", v}}), "value is not valid UTF-8");
  }
  ExpectInvalid(EncodeWriteRequest({}, {EncodeMetadata(1, "m", "bad \xff help", "")}),
                "metadata help is not valid UTF-8");
  ExpectInvalid(EncodeWriteRequest({}, {EncodeMetadata(1, "\xc3", "", "")}),
                "metadata metric_family_name is not valid UTF-8");
}

TEST(RemoteWriteDecoderTest, RejectsEmptyLabelSets) {
  ExpectInvalid(OneSeries({}), "series has no labels");
  ExpectInvalid(OneSeries({{"job", ""}}), "series has no labels");
}

TEST(RemoteWriteDecoderTest, RejectsDuplicateLabelNames) {
  ExpectInvalid(OneSeries({{"a", "1"}, {"a", "2"}}), "duplicate label name \"a\"");
  ExpectInvalid(OneSeries({{"b", "1"}, {"a", "x"}, {"b", "2"}}), "duplicate label name \"b\"");
  ExpectInvalid(OneSeries({{"a", "1"}, {"a", "1"}}), "duplicate label name");
}

TEST(RemoteWriteDecoderTest, RejectsInvalidMetricNames) {
  ExpectInvalid(OneSeries({{"__name__", "http-requests"}}),
                "invalid metric name \"http-requests\"");
  ExpectInvalid(OneSeries({{"__name__", "0up"}, {"job", "x"}}), "invalid metric name");
  RemoteWriteDecoder d;
  EXPECT_TRUE(DecodeBoth(d, OneSeries({{"__name__", "job:rate5m:sum"}})).ok());
  EXPECT_TRUE(DecodeBoth(d, OneSeries({{"A", "x"}, {"__name__", ":m"}})).ok());
}

TEST(RemoteWriteDecoderTest, ErrorSaysWhichSeriesAndWhere) {
  std::string good = EncodeTimeSeries({{"__name__", "m"}}, {{1, 1}});
  std::string bad = EncodeTimeSeries({{"__name__", "m"}, {"bad-name", "v"}}, {{1, 1}});
  std::string raw = EncodeWriteRequest({good, good, bad});
  RemoteWriteDecoder d;
  Status s = DecodeBoth(d, raw);
  ASSERT_FALSE(s.ok());
  // The failing Label message starts 2 + label("__name__","m") bytes into series 2's body.
  size_t series2_body = 2 * (2 + good.size()) + 2;
  size_t label_offset = series2_body + 2 + EncodeLabel("__name__", "m").size();
  EXPECT_EQ(s.message(),
            "remote write: timeseries 2: label 1: invalid label name \"bad-name\" "
            "(remote write 1.0 needs [a-zA-Z_][a-zA-Z0-9_]*) at byte " +
                std::to_string(label_offset));
}

TEST(RemoteWriteDecoderTest, EveryTruncationFailsCleanlyOrDecodesAPrefix) {
  std::string raw =
      EncodeWriteRequest({EncodeTimeSeries({{"__name__", "a"}, {"job", "x"}}, {{1, 1}, {2, 2}}),
                          EncodeTimeSeries({{"__name__", "b"}}, {{3, 3}})},
                         {EncodeMetadata(1, "a", "help", "")});
  for (size_t n = 0; n < raw.size(); ++n) {
    RemoteWriteDecoder d;
    std::string prefix = raw.substr(0, n);
    Status s = DecodeBoth(d, prefix);
    if (s.ok()) {
      EXPECT_LE(d.num_series(), 2u) << n;
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << n;
    }
  }
}

// ------------------------------------------------------------------ snappy layer

TEST(RemoteWriteDecoderTest, RejectsBadSnappy) {
  RemoteWriteDecoder d;
  Status s = d.Decode("");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("empty body"), std::string::npos);

  s = d.Decode("\xff\xff\xff\xff\xff\xff");  // length header is not a valid varint32
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not snappy block data"), std::string::npos) << s.message();

  std::string good = Snappy(OneSeries({{"__name__", "m"}}));
  std::string truncated = good.substr(0, good.size() - 3);
  s = d.Decode(truncated);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("corrupt snappy data"), std::string::npos) << s.message();

  std::string corrupt = good;
  corrupt[1] = static_cast<char>(0xff);  // an element tag that copies from before the start
  corrupt[2] = static_cast<char>(0xff);
  s = d.Decode(corrupt);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();

  s = d.Decode(std::string("\xff\x06\x00\x00sNaPpY", 10) + "\x01\x02");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("framing format"), std::string::npos) << s.message();

  // Raw, uncompressed protobuf sent without snappy: rejected, never misread.
  s = d.Decode(OneSeries({{"__name__", "m"}}));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(d.num_series(), 0u);
}

TEST(RemoteWriteDecoderTest, ChecksDecompressedSizeBeforeDecompressing) {
  RemoteWriteDecoderOptions options;
  options.max_decompressed_bytes = 1000;
  RemoteWriteDecoder d(options);
  Labels labels{{"__name__", "m"}, {"pad", std::string(900, 'x')}};
  ASSERT_TRUE(d.Decode(Snappy(OneSeries(labels))).ok());
  labels[1].second.append(200, 'y');
  Status s = d.Decode(Snappy(OneSeries(labels)));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("over the limit of 1000"), std::string::npos) << s.message();
  EXPECT_EQ(d.num_series(), 0u);
  // Only the header is read: a 4 GiB claim followed by nothing is still "too large".
  s = d.Decode(std::string("\x80\x80\x80\x80\x0f", 5));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
}

// ------------------------------------------------------------------ scale and reuse

std::string BigRequest(int num_series, int samples_per_series, int64_t t0) {
  std::vector<std::string> ts;
  ts.reserve(num_series);
  for (int i = 0; i < num_series; ++i) {
    Labels labels{{"__name__", "metric_" + std::to_string(i % 50)},
                  {"instance", "host-" + std::to_string(i / 50) + ":9100"},
                  {"job", "node"},
                  {"le", std::to_string(i % 7)}};
    Samples samples;
    for (int j = 0; j < samples_per_series; ++j) samples.emplace_back(t0 + j * 1000, i * 0.5 + j);
    ts.push_back(EncodeTimeSeries(labels, samples));
  }
  return EncodeWriteRequest(ts);
}

TEST(RemoteWriteDecoderTest, DecodesBigRequests) {
  std::string raw = BigRequest(100000, 2, 1700000000000);
  std::string body = Snappy(raw);
  RemoteWriteDecoder d;
  ASSERT_TRUE(d.Decode(body).ok());
  ASSERT_EQ(d.num_series(), 100000u);
  EXPECT_EQ(d.num_samples(), 200000u);
  for (size_t i : {size_t{0}, size_t{4242}, size_t{99999}}) {
    RemoteWriteSeries s = d.series(i);
    ASSERT_EQ(s.labels.size(), 4u);
    EXPECT_EQ(s.labels[0].value, "metric_" + std::to_string(i % 50));
    EXPECT_EQ(s.labels[1].value, "host-" + std::to_string(i / 50) + ":9100");
    ASSERT_EQ(s.samples.size(), 2u);
    EXPECT_EQ(s.samples[1].timestamp_ms, 1700000001000);
    EXPECT_EQ(s.samples[1].value, static_cast<double>(i) * 0.5 + 1);
  }
}

TEST(RemoteWriteDecoderTest, ReusedDecoderGivesSameResults) {
  std::string big = Snappy(BigRequest(3000, 1, 1));
  std::string small = Snappy(OneSeries({{"__name__", "small"}}, {{5, 6}}));
  std::string bad = Snappy(OneSeries({{"bad-name", "v"}}));
  RemoteWriteDecoder d;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(d.Decode(big).ok());
    EXPECT_EQ(d.num_series(), 3000u);
    EXPECT_FALSE(d.Decode(bad).ok());
    EXPECT_EQ(d.num_series(), 0u);
    ASSERT_TRUE(d.Decode(small).ok());
    ASSERT_EQ(d.num_series(), 1u);
    EXPECT_EQ(LabelsOf(d.series(0)), (Labels{{"__name__", "small"}}));
    EXPECT_EQ(d.series(0).samples[0].value, 6.0);
  }
  RemoteWriteDecoderOptions options;
  options.retain_bytes = 1024;
  RemoteWriteDecoder trimmed(options);
  ASSERT_TRUE(trimmed.Decode(big).ok());
  trimmed.Clear();
  EXPECT_EQ(trimmed.num_series(), 0u);
  ASSERT_TRUE(trimmed.Decode(small).ok());
  EXPECT_EQ(trimmed.num_series(), 1u);
}

// ------------------------------------------------------------------ validation helpers

TEST(LabelValidationTest, NamesAndUtf8) {
  EXPECT_TRUE(IsValidLabelName("_"));
  EXPECT_TRUE(IsValidLabelName("__name__"));
  EXPECT_TRUE(IsValidLabelName("Abc_09"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_TRUE(IsValidMetricName(":"));
  EXPECT_FALSE(IsValidMetricName("a b"));
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xee\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("0123456789\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));  // overlong 4-byte
  EXPECT_EQ(QuoteForError("a\"b\\\n"), "\"a\\\"b\\\\\\x0a\"");
  EXPECT_EQ(QuoteForError(std::string(70, 'x')), "\"" + std::string(64, 'x') + "\"...");
}

// ------------------------------------------------------------------ the benchmark's payloads

struct Frame {
  std::string body;
  uint32_t samples;
};

std::vector<Frame> ReadShard(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  std::vector<Frame> frames;
  size_t pos = 0;
  while (pos + 8 <= data.size()) {
    uint32_t len, samples;
    std::memcpy(&len, data.data() + pos, 4);
    std::memcpy(&samples, data.data() + pos + 4, 4);
    pos += 8;
    if (pos + len > data.size()) {
      ADD_FAILURE() << "truncated frame in " << path;
      break;
    }
    frames.push_back(Frame{data.substr(pos, len), samples});
    pos += len;
  }
  EXPECT_EQ(pos, data.size()) << path;
  return frames;
}

// Decodes every shard of a gen_remote_write.py output directory and checks it against
// the manifest: samples per shard and per frame, requests, distinct series, series per
// metric name, the time range, and the expected counter sums by route at the end.
void CheckGeneratorOutput(const std::filesystem::path& dir) {
  simdjson::dom::parser parser;
  simdjson::dom::element manifest;
  auto json = simdjson::padded_string::load((dir / "manifest.json").string());
  ASSERT_EQ(json.error(), simdjson::SUCCESS) << dir;
  ASSERT_EQ(parser.parse(json.value()).get(manifest), simdjson::SUCCESS);
  const int64_t t_start = manifest["t_start_ms"].get_int64().value();
  const int64_t t_end = manifest["t_end_ms"].get_int64().value();

  RemoteWriteDecoder d;
  std::set<std::string> series_keys;
  std::map<std::string, int64_t> series_per_metric;
  std::map<std::string, std::pair<int64_t, double>> last_request_count;  // key -> (t, v)
  std::map<std::string, std::string> route_of;
  uint64_t total_samples = 0, total_requests = 0;
  for (auto shard : manifest["per_shard"].get_array()) {
    std::string file(shard["file"].get_string().value());
    std::vector<Frame> frames = ReadShard(dir / file);
    EXPECT_EQ(frames.size(), shard["requests"].get_uint64().value()) << file;
    uint64_t shard_samples = 0;
    for (const Frame& f : frames) {
      Status s = d.Decode(f.body);
      ASSERT_TRUE(s.ok()) << file << ": " << s.ToString();
      EXPECT_EQ(d.num_samples(), f.samples);
      EXPECT_EQ(d.num_series(), f.samples);  // one sample per TimeSeries, like Prometheus
      shard_samples += d.num_samples();
      for (size_t i = 0; i < d.num_series(); ++i) {
        RemoteWriteSeries series = d.series(i);
        std::string key, name, route;
        for (const auto& l : series.labels) {
          key.append(l.name).append("=").append(l.value).append(",");
          if (l.name == "__name__") name = l.value;
          if (l.name == "route") route = l.value;
        }
        if (series_keys.insert(key).second) ++series_per_metric[name];
        for (const auto& sample : series.samples) {
          EXPECT_GE(sample.timestamp_ms, t_start);
          EXPECT_LE(sample.timestamp_ms, t_end);
          if (name == "http_requests_total") {
            auto& last = last_request_count[key];
            if (sample.timestamp_ms >= last.first) last = {sample.timestamp_ms, sample.value};
            route_of[key] = route;
          }
        }
      }
    }
    EXPECT_EQ(shard_samples, shard["samples"].get_uint64().value()) << file;
    total_samples += shard_samples;
    total_requests += frames.size();
  }
  EXPECT_EQ(total_samples, manifest["samples"].get_uint64().value());
  EXPECT_EQ(total_requests, manifest["requests"].get_uint64().value());
  EXPECT_EQ(series_keys.size(), manifest["series"].get_uint64().value());
  for (auto [name, count] : manifest["series_per_metric"].get_object()) {
    EXPECT_EQ(series_per_metric[std::string(name)], count.get_int64().value()) << name;
  }
  std::map<std::string, double> sum_by_route;
  for (const auto& [key, last] : last_request_count) sum_by_route[route_of[key]] += last.second;
  auto expected = manifest["expected"]["sum_by_route_http_requests_total_at_end"].get_object();
  size_t routes = 0;
  for (auto [route, value] : expected) {
    EXPECT_DOUBLE_EQ(sum_by_route[std::string(route)], value.get_double().value()) << route;
    ++routes;
  }
  EXPECT_EQ(routes, sum_by_route.size());
}

std::filesystem::path SourceDir() { return std::filesystem::path(__FILE__).parent_path(); }

TEST(RemoteWriteDecoderTest, DecodesCommittedGeneratorFixture) {
  CheckGeneratorOutput(SourceDir() / "testdata" / "rw_small");
}

// Generates the shared benchmark's workload (one 542-series block, 10 steps) with its own
// generator and decodes it. Skipped when /usr/bin/python3 or the generator is missing.
TEST(RemoteWriteDecoderTest, DecodesGeneratedBenchmarkPayload) {
  std::filesystem::path generator = SourceDir() / "../../../../shared/bench/gen_remote_write.py";
  if (const char* env = std::getenv("PERFWATCH_SHARED_BENCH")) {
    generator = std::filesystem::path(env) / "gen_remote_write.py";
  }
  if (!std::filesystem::exists("/usr/bin/python3") || !std::filesystem::exists(generator)) {
    GTEST_SKIP() << "needs /usr/bin/python3 and " << generator;
  }
  std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("pw_rw_payload_" + std::to_string(::getpid()));
  std::string cmd = "/usr/bin/python3 '" + generator.string() + "' --out '" + out.string() +
                    "' --series 542 --samples 10 --interval 10 --batch 2000 --shards 2 --seed 42"
                    " --end-ms 1700000000000 >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::filesystem::remove_all(out);
    GTEST_SKIP() << "generator failed (python3-snappy missing?): " << cmd;
  }
  CheckGeneratorOutput(out);
  std::filesystem::remove_all(out);
}

// tsdb.max_remote_write_decompressed_bytes reloaded: a decoder takes the new limit for
// its next Decode (the handler sets it per request from its atomic).
TEST(RemoteWriteDecoderTest, ANewDecompressedLimitAppliesToTheNextDecode) {
  RemoteWriteDecoder d(RemoteWriteDecoderOptions{.max_decompressed_bytes = 1000});
  const std::string body = Snappy(OneSeries({{"__name__", "m"}, {"pad", std::string(900, 'x')}}));
  ASSERT_TRUE(d.Decode(body).ok());
  d.Clear();
  d.set_max_decompressed_bytes(500);
  EXPECT_EQ(d.options().max_decompressed_bytes, 500u);
  EXPECT_EQ(d.Decode(body).code(), StatusCode::kResourceExhausted);
  d.Clear();
  d.set_max_decompressed_bytes(2000);
  EXPECT_TRUE(d.Decode(body).ok());
}

}  // namespace
}  // namespace perfwatch::ingest
