#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "tsdb/chunk_codec.h"

namespace perfwatch::tsdb {
namespace {

using chunk_internal::EncodePacked;
using chunk_internal::IntTransform;
using chunk_internal::PackedChunkDecoder;
using chunk_internal::SealOptions;
using chunk_internal::ValueKind;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
const double kStale = FromBits(0x7ff0000000000002ULL);

std::vector<Sample> Decode(std::span<const uint8_t> chunk, Status* status = nullptr) {
  std::vector<Sample> out;
  ChunkIterator it(chunk);
  while (it.Next()) out.push_back({it.t(), it.v()});
  if (status) *status = it.status();
  return out;
}

std::vector<uint8_t> AppendAll(std::span<const Sample> s) {
  auto app = NewChunkAppender();
  for (const Sample& x : s) app->Append(x.t, x.v);
  auto b = app->bytes();
  return {b.begin(), b.end()};
}

// Checks that `chunk` decodes to exactly `want` (timestamps and value bit patterns).
void ExpectSamples(std::span<const uint8_t> chunk, std::span<const Sample> want,
                   const std::string& what) {
  Status st;
  auto got = Decode(chunk, &st);
  ASSERT_TRUE(st.ok()) << what << ": " << st.ToString();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].t, want[i].t) << what << " sample " << i;
    ASSERT_EQ(Bits(got[i].v), Bits(want[i].v))
        << what << " sample " << i << " want " << want[i].v << " got " << got[i].v;
  }
  // The bulk decoder (a column at a time) gives the same samples, appended after what
  // the vector already holds.
  std::vector<Sample> bulk = {Sample{-1, 7}};
  Status bst = DecodeChunk(chunk, &bulk);
  ASSERT_TRUE(bst.ok()) << what << " DecodeChunk: " << bst.ToString();
  ASSERT_EQ(bulk.size(), want.size() + 1) << what << " DecodeChunk";
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(bulk[i + 1].t, want[i].t) << what << " DecodeChunk sample " << i;
    ASSERT_EQ(Bits(bulk[i + 1].v), Bits(want[i].v)) << what << " DecodeChunk sample " << i;
  }
}

// Round-trips `s` through the appender, SealChunk, SealSamples and every forced codec.
void RoundTripAll(const std::vector<Sample>& s, const std::string& what) {
  auto x = AppendAll(s);
  ExpectSamples(x, s, what + " xor");
  auto sealed = SealChunk(x);
  ExpectSamples(sealed, s, what + " sealed");
  EXPECT_LE(sealed.size(), x.size()) << what;
  ExpectSamples(SealSamples(s), s, what + " SealSamples");
  for (int tt = 0; tt < chunk_internal::kNumIntTransforms; ++tt) {
    for (int vk = 0; vk < chunk_internal::kNumValueKinds; ++vk) {
      for (int vt = 0; vt < chunk_internal::kNumIntTransforms; ++vt) {
        SealOptions o;
        o.time_transform = static_cast<IntTransform>(tt);
        o.value_kind = static_cast<ValueKind>(vk);
        o.value_transform = static_cast<IntTransform>(vt);
        ExpectSamples(EncodePacked(s, o), s,
                      what + " forced t" + std::to_string(tt) + " k" + std::to_string(vk) + " v" +
                          std::to_string(vt));
      }
    }
  }
}

std::vector<Sample> Regular(size_t n, double (*f)(size_t)) {
  std::vector<Sample> s;
  for (size_t i = 0; i < n; ++i) s.push_back({1'700'000'000'000 + int64_t(i) * 10'000, f(i)});
  return s;
}

TEST(ChunkTest, EmptyChunks) {
  auto app = NewChunkAppender();
  EXPECT_EQ(app->num_samples(), 0u);
  ExpectSamples(app->bytes(), {}, "empty xor");
  ExpectSamples(SealChunk(app->bytes()), {}, "empty sealed");
  ExpectSamples(SealSamples({}), {}, "empty SealSamples");
}

TEST(ChunkTest, OneAndTwoSamples) {
  RoundTripAll({{42, 1.5}}, "one");
  RoundTripAll({{-5, kStale}}, "one stale");
  RoundTripAll({{kMin, -0.0}, {kMax, kInf}}, "two extremes");
}

TEST(ChunkTest, AdversarialValues) {
  std::vector<double> vals = {0.0,
                              -0.0,
                              kInf,
                              -kInf,
                              kStale,
                              std::numeric_limits<double>::quiet_NaN(),
                              FromBits(0xfff8000000000001ULL),  // negative NaN with payload
                              FromBits(0x7ff4000000000000ULL),  // signalling NaN
                              std::numeric_limits<double>::denorm_min(),
                              -std::numeric_limits<double>::denorm_min(),
                              std::numeric_limits<double>::min(),
                              std::numeric_limits<double>::max(),
                              -std::numeric_limits<double>::max(),
                              9007199254740992.0,  // 2^53
                              9007199254740993.0,  // rounds to 2^53
                              -9007199254740994.0,
                              1e300,
                              0.1 + 0.2,  // looks decimal, is not
                              0.3,
                              1.0 / 3.0,
                              123456789.123456789,
                              1e-15,
                              1.5e-16};
  std::vector<Sample> s;
  for (size_t i = 0; i < vals.size(); ++i) s.push_back({int64_t(i) * 1000, vals[i]});
  RoundTripAll(s, "adversarial");
  // Each value alone, and as a constant run.
  for (double v : vals) {
    RoundTripAll({{0, v}, {10, v}, {20, v}}, "constant " + std::to_string(Bits(v)));
  }
}

TEST(ChunkTest, StaleMarkerInsideDecimalSeries) {
  auto s = Regular(120, [](size_t i) { return std::round(i * 13.7) / 10; });
  s[60].v = kStale;
  s[119].v = kStale;
  s[0].v = -kInf;
  RoundTripAll(s, "decimal with exceptions");
  PackedChunkDecoder d;
  auto sealed = SealSamples(s);
  ASSERT_TRUE(d.Init(sealed).ok());
  EXPECT_EQ(d.value_kind(), ValueKind::kDecimal);
  EXPECT_LT(sealed.size(), 120u * 2);
}

TEST(ChunkTest, AdversarialTimestamps) {
  RoundTripAll({{kMin, 1}, {kMin + 1, 2}, {kMax - 1, 3}, {kMax, 4}}, "extremes");
  RoundTripAll({{kMin, 1}, {kMax, 2}, {kMin, 3}, {kMax, 4}, {0, 5}}, "wrapping deltas");
  RoundTripAll({{-3'000'000, 1}, {-2'000'000, 2}, {-1, 3}, {0, 4}, {1, 5}}, "negative");
  // The encodings are exact for equal and decreasing timestamps too (the head rejects
  // them before appending; the chunk does not rely on order).
  RoundTripAll({{5, 1}, {5, 2}, {5, 3}, {4, 4}, {100, 5}}, "equal and decreasing");
  std::vector<Sample> s;
  int64_t t = 0;
  for (int i = 0; i < 200; ++i) {                          // every delta-of-delta bucket
    t = int64_t(uint64_t(t) + (uint64_t{1} << (i % 62)));  // wraps, as the chunk does
    s.push_back({t, double(i)});
  }
  RoundTripAll(s, "bucket sweep");
}

TEST(ChunkTest, IntegerOverflowEdges) {
  std::vector<Sample> s;
  double vals[] = {9007199254740992.0,
                   -9007199254740992.0,
                   9007199254740990.0,
                   0.0,
                   1.0,
                   4503599627370496.5,
                   -1.0};
  for (int i = 0; i < 7; ++i) s.push_back({i, vals[i]});
  RoundTripAll(s, "2^53 edges");
}

TEST(ChunkTest, RandomRoundTrips) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 60; ++iter) {
    size_t n = 1 + rng() % 300;
    std::vector<Sample> s;
    int64_t t = int64_t(rng()) >> (rng() % 64);
    int style = iter % 6;
    double v = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t step = 1 + (style < 3 ? 10'000 + rng() % 31 : rng() >> (rng() % 64));
      t = int64_t(uint64_t(t) + step);
      switch (style) {
        case 0:
          v = std::bit_cast<double>(rng());
          break;  // any bit pattern
        case 1:
          v += double(rng() % 100);
          break;  // counter
        case 2:
          v = double(int64_t(rng() % 100000)) / 100;
          break;  // 2 decimals
        case 3:
          v = double(rng() % 3) * 4096;
          break;
        case 4:
          v = std::ldexp(double(rng() % 1000), int(rng() % 2000) - 1000);
          break;
        default:
          v = rng() % 17 == 0 ? kStale : double(rng() % 5) / 10;
          break;
      }
      s.push_back({t, v});
    }
    RoundTripAll(s, "random " + std::to_string(iter));
  }
}

TEST(ChunkTest, PicksDenseCodecs) {
  struct Case {
    const char* name;
    std::vector<Sample> s;
    ValueKind kind;
    size_t max_bytes;
  };
  std::mt19937_64 rng(1);
  std::vector<Case> cases;
  cases.push_back({"constant", Regular(120, [](size_t) { return 3.25; }), ValueKind::kDecimal, 24});
  auto nan = Regular(120, [](size_t) { return std::numeric_limits<double>::quiet_NaN(); });
  cases.push_back({"constant NaN", nan, ValueKind::kConstant, 24});
  cases.push_back({"linear counter", Regular(120, [](size_t i) { return 1000.0 + 7.0 * i; }),
                   ValueKind::kDecimal, 24});
  std::vector<Sample> jitter;
  for (int i = 0; i < 120; ++i) {
    jitter.push_back({1'700'000'000'000 + i * 10'000 - int64_t(rng() % 31), double(i % 2)});
  }
  // 5 bits of jitter per sample + headers.
  cases.push_back({"jittered timestamps", jitter, ValueKind::kDecimal, 120 * 5 / 8 + 40});
  for (auto& c : cases) {
    auto sealed = SealSamples(c.s);
    ExpectSamples(sealed, c.s, c.name);
    PackedChunkDecoder d;
    ASSERT_TRUE(d.Init(sealed).ok()) << c.name;
    EXPECT_EQ(d.value_kind(), c.kind) << c.name;
    EXPECT_LE(sealed.size(), c.max_bytes) << c.name;
  }
  // Jitter around a grid is stored as grid residuals.
  auto sealed = SealSamples(jitter);
  PackedChunkDecoder d;
  ASSERT_TRUE(d.Init(sealed).ok());
  EXPECT_EQ(d.time_transform(), IntTransform::kGrid);
}

TEST(ChunkTest, AppenderBytesAreAlwaysAPrefixOfWholeSamples) {
  std::mt19937_64 rng(3);
  auto app = NewChunkAppender();
  std::vector<Sample> s;
  for (int i = 0; i < 500; ++i) {
    Sample x{int64_t(i) * 10'000 + int64_t(rng() % 31), std::bit_cast<double>(rng())};
    app->Append(x.t, x.v);
    s.push_back(x);
    ASSERT_EQ(app->num_samples(), s.size());
    std::vector<uint8_t> snapshot(app->bytes().begin(), app->bytes().end());
    ExpectSamples(snapshot, s, "prefix " + std::to_string(i));
  }
}

TEST(ChunkTest, CorruptAndTruncatedInputNeverCrashes) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<uint8_t>> chunks;
  for (int style = 0; style < 4; ++style) {
    std::vector<Sample> s;
    for (int i = 0; i < 120; ++i) {
      double v = style == 0   ? std::bit_cast<double>(rng())
                 : style == 1 ? double(rng() % 1000) / 10
                 : style == 2 ? double(i * 4096)
                              : (i % 10 == 0 ? kStale : 1.5);
      s.push_back({int64_t(i) * 10'000 + int64_t(rng() % 31), v});
    }
    chunks.push_back(AppendAll(s));
    chunks.push_back(SealSamples(s));
  }
  for (const auto& c : chunks) {
    // Every truncation: either a clean prefix or a DataLoss status, never a crash.
    for (size_t len = 0; len < c.size(); ++len) {
      std::vector<uint8_t> cut(c.begin(), c.begin() + len);  // exact-size heap copy for ASan
      Status st;
      auto got = Decode(cut, &st);
      if (len == 0) {
        EXPECT_FALSE(st.ok());
      }
      std::vector<Sample> bulk;
      (void)DecodeChunk(cut, &bulk);
      EXPECT_LE(bulk.size(), 120u) << len;
      if (c[0] == uint8_t(ChunkEncoding::kPacked) && len > 0) {
        EXPECT_FALSE(st.ok() && got.size() == 120 && len < c.size() - 1) << len;
      }
    }
    // Random byte flips.
    for (int k = 0; k < 300; ++k) {
      std::vector<uint8_t> bad = c;
      for (int f = 0; f < 1 + int(rng() % 3); ++f)
        bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
      Status st;
      auto got = Decode(bad, &st);
      EXPECT_LE(got.size(), kMaxChunkSamples);
      // The bulk decoder never crashes either, and agrees whenever both succeed.
      std::vector<Sample> bulk;
      Status bst = DecodeChunk(bad, &bulk);
      if (st.ok() && bst.ok()) {
        ASSERT_EQ(bulk.size(), got.size());
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(bulk[i].t, got[i].t);
          EXPECT_EQ(Bits(bulk[i].v), Bits(got[i].v));
        }
      }
    }
  }
  Status st;
  uint8_t unknown[] = {99, 0, 0};
  Decode(unknown, &st);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  // A packed header claiming many samples with no data.
  uint8_t huge[] = {2, 0xff, 0xff, 0x03};
  Decode(huge, &st);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  // SealChunk leaves a corrupt chunk as it is.
  std::vector<uint8_t> bad = {1, 0, 5, 0x01};
  EXPECT_EQ(SealChunk(bad), bad);
}

TEST(ChunkTest, ChunkSizes) {
  for (size_t n : {1u, 2u, 3u, 119u, 120u, 240u, 1000u, 65535u}) {
    std::vector<Sample> s;
    for (size_t i = 0; i < n; ++i) s.push_back({int64_t(i) * 15'000, double(i % 7) * 0.5});
    auto x = AppendAll(s);
    ExpectSamples(x, s, "xor n=" + std::to_string(n));
    ExpectSamples(SealChunk(x), s, "sealed n=" + std::to_string(n));
  }
}

TEST(ChunkTest, BlockCompressionRoundTrip) {
  std::vector<uint8_t> raw;
  for (int i = 0; i < 10000; ++i) raw.push_back(uint8_t(i * 7 % 13));
  auto z = CompressBlock(raw);
  EXPECT_LT(z.size(), raw.size() / 4);
  auto back = DecompressBlock(z);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, raw);
  EXPECT_TRUE(DecompressBlock(CompressBlock({})).ok());
  EXPECT_EQ(DecompressBlock(z, 100).status().code(), StatusCode::kDataLoss);
  auto bad = z;
  bad.resize(bad.size() / 2);
  EXPECT_EQ(DecompressBlock(bad).status().code(), StatusCode::kDataLoss);
  uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(DecompressBlock(junk).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace perfwatch::tsdb
