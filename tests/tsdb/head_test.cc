#include "tsdb/head.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include "tsdb_test_util.h"

namespace perfwatch::tsdb {
namespace {

using testing::DumpQuerier;
using testing::OwnedSeries;
using testing::Views;

OwnedSeries Make(std::initializer_list<std::pair<std::string_view, std::string_view>> l, std::vector<Sample> s) {
  return OwnedSeries(Labels::FromPairs(l), std::move(s));
}

TEST(HeadTest, AppendAndQueryRoundTrip) {
  Head head({}, nullptr);
  std::vector<OwnedSeries> batch;
  std::vector<Sample> many;
  for (int i = 0; i < 1000; ++i) many.push_back({1000 + i * 15, i * 0.5});
  batch.push_back(Make({{"__name__", "up"}, {"job", "a"}}, many));
  batch.push_back(Make({{"__name__", "up"}, {"job", "b"}}, {{1000, 1}, {2000, 0}}));
  AppendResult res;
  ASSERT_TRUE(head.AppendBatch(Views(batch), &res).ok());
  EXPECT_EQ(res.appended, 1002u);
  EXPECT_EQ(res.series_created, 2u);
  EXPECT_EQ(head.num_series(), 2u);

  auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
  auto dump = DumpQuerier(*q);
  ASSERT_EQ(dump.size(), 2u);
  auto& a = dump["up{job=\"a\"}"];
  ASSERT_EQ(a.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(a[i].first, 1000 + i * 15);
    EXPECT_EQ(std::bit_cast<double>(a[i].second), i * 0.5);
  }
  // Chunks cut at 240 samples: 1000 samples -> 5 chunks.
  auto set = q->Select(*ParseSelector("up{job=\"a\"}"));
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().num_chunks(), 5u);

  // Time range restriction is inclusive.
  auto q2 = head.NewQuerier(1015, 1045);
  auto d2 = DumpQuerier(*q2);
  ASSERT_EQ(d2.size(), 1u);  // job=b has nothing in range
  EXPECT_EQ(d2["up{job=\"a\"}"].size(), 3u);

  HeadStats st = head.Stats();
  EXPECT_EQ(st.series, 2u);
  EXPECT_EQ(st.samples, 1002u);
  EXPECT_EQ(st.min_time, 1000);
  EXPECT_EQ(st.max_time, 1000 + 999 * 15);
}

TEST(HeadTest, ChunkCutAtRangeBoundary) {
  HeadOptions opts;
  opts.chunk_range_ms = 1000;
  Head head(opts, nullptr);
  std::vector<OwnedSeries> batch = {Make({{"__name__", "x"}}, {{10, 1}, {999, 2}, {1000, 3}, {2500, 4}})};
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  auto set = head.NewQuerier(INT64_MIN, INT64_MAX)->Select(*ParseSelector("x"));
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().num_chunks(), 3u);
}

// Many series growing side by side through several chunk cuts (sample count and range
// boundaries, negative timestamps): the open chunks share their shard's segment pool, so
// a cut chunk's segments are reused by the others; every sample must read back intact,
// and the first timestamp (decoded from the open chunk or the sealed ones) must be right.
TEST(HeadTest, InterleavedSeriesAcrossCutsRoundTrip) {
  HeadOptions opts;
  opts.chunk_max_samples = 50;
  opts.chunk_range_ms = 7000;
  Head head(opts, nullptr);
  constexpr int kSeries = 300;
  constexpr int kRounds = 130;
  std::mt19937_64 rng(3);
  std::vector<std::vector<Sample>> want(kSeries);
  std::vector<int64_t> t(kSeries);
  for (int i = 0; i < kSeries; ++i) t[i] = -50'000 + i * 7;
  for (int r = 0; r < kRounds; ++r) {
    std::vector<OwnedSeries> batch;
    for (int i = 0; i < kSeries; ++i) {
      if (rng() % 4 == 0) continue;  // not every series every round: chunks fill unevenly
      t[i] += 1 + static_cast<int64_t>(rng() % 1500);
      double v = (rng() % 3 == 0) ? std::bit_cast<double>(rng()) : static_cast<double>(r * (i % 5));
      want[i].push_back({t[i], v});
      batch.push_back(Make({{"__name__", "m"}, {"i", std::to_string(i)}}, {{t[i], v}}));
    }
    ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  }
  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  int64_t min_t = INT64_MAX;
  uint64_t samples = 0;
  for (int i = 0; i < kSeries; ++i) {
    if (want[i].empty()) continue;
    min_t = std::min(min_t, want[i].front().t);
    samples += want[i].size();
    const auto& got = dump["m{i=\"" + std::to_string(i) + "\"}"];
    ASSERT_EQ(got.size(), want[i].size()) << "series " << i;
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].first, want[i][k].t) << "series " << i << " sample " << k;
      ASSERT_EQ(got[k].second, std::bit_cast<uint64_t>(want[i][k].v)) << "series " << i << " sample " << k;
    }
  }
  HeadStats st = head.Stats();
  EXPECT_EQ(st.samples, samples);
  EXPECT_EQ(st.min_time, min_t);
  EXPECT_GT(st.chunks, static_cast<uint64_t>(kSeries));  // cuts happened
  // A range starting inside series 0's history selects it by its derived first timestamp.
  const int64_t mid = want[0][want[0].size() / 2].t;
  auto part = DumpQuerier(*head.NewQuerier(mid, mid));
  EXPECT_EQ(part["m{i=\"0\"}"].size(), 1u);
  EXPECT_TRUE(DumpQuerier(*head.NewQuerier(INT64_MIN, min_t - 1)).empty());
}

// The open chunk keeps the last timestamp delta in 32 bits: with a chunk range longer than
// 2^32 ms, a larger step cuts the chunk (the samples stay exact).
TEST(HeadTest, ChunkCutAtHugeStep) {
  HeadOptions opts;
  opts.chunk_range_ms = int64_t{1} << 50;
  Head head(opts, nullptr);
  const int64_t big = (int64_t{1} << 32) + 5;
  std::vector<Sample> in = {{0, 1}, {1000, 2}, {1000 + big, 3}, {2000 + big, 4}, {2000 + big + UINT32_MAX, 5}};
  std::vector<OwnedSeries> batch = {Make({{"__name__", "x"}}, in)};
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  auto set = head.NewQuerier(INT64_MIN, INT64_MAX)->Select(*ParseSelector("x"));
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().num_chunks(), 2u);  // a step of exactly 2^32 - 1 does not cut
  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  ASSERT_EQ(dump.size(), 1u);
  const auto& got = dump.begin()->second;
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(got[i].first, in[i].t);
    EXPECT_EQ(std::bit_cast<double>(got[i].second), in[i].v);
  }
}

TEST(HeadTest, OutOfOrderAndDuplicateRules) {
  MetricsRegistry reg;
  Head head({}, &reg);
  std::vector<OwnedSeries> first = {Make({{"__name__", "m"}}, {{100, 1}, {200, 2}})};
  ASSERT_TRUE(head.AppendBatch(Views(first)).ok());

  // Exact duplicate: dropped silently, OK.
  std::vector<OwnedSeries> dup = {Make({{"__name__", "m"}}, {{200, 2}})};
  AppendResult r1;
  EXPECT_TRUE(head.AppendBatch(Views(dup), &r1).ok());
  EXPECT_EQ(r1.duplicates, 1u);
  EXPECT_EQ(r1.appended, 0u);

  // Same timestamp, other value; older sample; then a good one in the same batch.
  std::vector<OwnedSeries> bad = {Make({{"__name__", "m"}}, {{200, 3}, {150, 1}, {300, 4}})};
  AppendResult r2;
  Status s = head.AppendBatch(Views(bad), &r2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate_timestamp=1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("out_of_order=1"), std::string::npos) << s.message();
  EXPECT_EQ(r2.appended, 1u);
  EXPECT_EQ(r2.rejected, 2u);

  // NaN duplicates compare by bits: the same stale marker is a duplicate.
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  std::vector<OwnedSeries> st = {Make({{"__name__", "m"}}, {{400, stale}})};
  ASSERT_TRUE(head.AppendBatch(Views(st)).ok());
  AppendResult r3;
  EXPECT_TRUE(head.AppendBatch(Views(st), &r3).ok());
  EXPECT_EQ(r3.duplicates, 1u);
  std::vector<OwnedSeries> nan = {Make({{"__name__", "m"}}, {{400, std::nan("")}})};
  EXPECT_EQ(head.AppendBatch(Views(nan)).code(), StatusCode::kInvalidArgument);

  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  auto& m = dump["m{}"];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[2].first, 300);
  EXPECT_EQ(m[3].second, 0x7ff0000000000002u);

  std::string text = reg.Render();
  EXPECT_NE(text.find("perfwatch_tsdb_samples_rejected_total{reason=\"out_of_order\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("perfwatch_tsdb_samples_rejected_total{reason=\"duplicate_timestamp\"} 2"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_tsdb_samples_duplicate_total 2"), std::string::npos);
}

TEST(HeadTest, UnsortedLabelsAndEmptyValues) {
  Head head({}, nullptr);
  std::vector<LabelView> unsorted = {{"job", "a"}, {"__name__", "up"}, {"zone", ""}};
  std::vector<Sample> samples = {{1, 1}};
  SeriesSamples ss{unsorted, samples};
  ASSERT_TRUE(head.AppendBatch({&ss, 1}).ok());
  std::vector<OwnedSeries> sorted = {Make({{"__name__", "up"}, {"job", "a"}}, {{2, 2}})};
  ASSERT_TRUE(head.AppendBatch(Views(sorted)).ok());
  EXPECT_EQ(head.num_series(), 1u);

  std::vector<LabelView> dup = {{"a", "1"}, {"a", "2"}};
  SeriesSamples bad{dup, samples};
  AppendResult r;
  EXPECT_EQ(head.AppendBatch({&bad, 1}, &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kInvalidLabels)], 1u);
  std::vector<LabelView> none = {{"a", ""}};
  SeriesSamples empty{none, samples};
  EXPECT_EQ(head.AppendBatch({&empty, 1}).code(), StatusCode::kInvalidArgument);
}

TEST(HeadTest, Limits) {
  MetricsRegistry reg;
  HeadOptions opts;
  opts.limits.max_series = 3;
  opts.limits.max_labels_per_series = 3;
  opts.limits.max_label_name_length = 8;
  opts.limits.max_label_value_length = 10;
  Head head(opts, &reg);
  std::vector<OwnedSeries> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Make({{"__name__", "m"}, {"i", std::to_string(i)}}, {{1, 1}}));
  AppendResult r;
  Status s = head.AppendBatch(Views(batch), &r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("series limit of 3 reached"), std::string::npos) << s.message();
  EXPECT_EQ(r.appended, 3u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kSeriesLimit)], 2u);
  EXPECT_EQ(head.num_series(), 3u);
  // Existing series still accept samples at the limit.
  std::vector<OwnedSeries> more;
  for (int i = 0; i < 5; ++i) more.push_back(Make({{"__name__", "m"}, {"i", std::to_string(i)}}, {{2, 1}}));
  AppendResult r_more;
  (void)head.AppendBatch(Views(more), &r_more);
  EXPECT_EQ(r_more.appended, 3u);
  EXPECT_EQ(r_more.rejected_by_reason[static_cast<size_t>(RejectReason::kSeriesLimit)], 2u);

  Head h2(opts, nullptr);
  std::vector<OwnedSeries> bad = {
      Make({{"__name__", "m"}, {"a", "1"}, {"b", "1"}, {"c", "1"}}, {{1, 1}}),  // 4 labels
      Make({{"__name__", "m"}, {"longlabelname", "1"}}, {{1, 1}}),
      Make({{"__name__", "m"}, {"a", "01234567890"}}, {{1, 1}}),
  };
  AppendResult r2;
  EXPECT_EQ(h2.AppendBatch(Views(bad), &r2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r2.rejected_by_reason[static_cast<size_t>(RejectReason::kLabelLimit)], 3u);
  EXPECT_EQ(h2.num_series(), 0u);
}

TEST(HeadTest, SeriesRateLimitIsRetryable) {
  HeadOptions opts;
  opts.limits.max_series_per_second = 2;
  Head head(opts, nullptr);
  std::vector<OwnedSeries> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(Make({{"__name__", "m"}, {"i", std::to_string(i)}}, {{1, 1}}));
  AppendResult r;
  Status s = head.AppendBatch(Views(batch), &r);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(r.appended, 2u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kSeriesRateLimit)], 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  AppendResult r2;
  EXPECT_TRUE(head.AppendBatch(Views(batch), &r2).ok());  // the retry: 2 duplicates, 2 new
  EXPECT_EQ(r2.duplicates, 2u);
  EXPECT_EQ(r2.appended, 2u);
}

// Random series; every selector answer must equal a brute-force scan.
TEST(HeadTest, MatchersAgainstBruteForce) {
  std::mt19937 rng(42);
  const std::vector<std::string> names = {"up", "http_requests_total", "cpu", "mem_bytes"};
  const std::vector<std::string> label_names = {"job", "instance", "code", "path", "env"};
  const std::vector<std::string> values = {"a", "b", "api", "api-2", "200", "500", "/x", "", "prod", "dev"};
  Head head({}, nullptr);
  std::vector<OwnedSeries> all;
  for (int i = 0; i < 400; ++i) {
    std::vector<std::pair<std::string, std::string>> pairs = {{"__name__", names[rng() % names.size()]}};
    for (const auto& ln : label_names) {
      if (rng() % 3 == 0) continue;
      pairs.emplace_back(ln, values[rng() % values.size()]);
    }
    std::vector<LabelView> v;
    for (auto& [n, val] : pairs) v.push_back({n, val});
    all.emplace_back(Labels::FromViews(v), std::vector<Sample>{{i, 1.0}});
  }
  ASSERT_TRUE(head.AppendBatch(Views(all)).code() != StatusCode::kIo);
  std::set<std::string> distinct;
  for (const auto& s : all) distinct.insert(s.labels.ToString());

  const std::vector<std::string> selectors = {
      "up",
      "{job=\"a\"}",
      "up{job!=\"a\"}",
      "{__name__=~\"up|cpu\", code=~\"5..\"}",
      "{__name__=~\".+\", env!~\"prod|dev\"}",
      "cpu{path=\"\"}",
      "{job=~\"api.*\", instance!=\"\"}",
      "http_requests_total{code!~\"2..\", env=~\"|prod\"}",
      "{__name__!=\"up\", job=~\"a|b\", path!~\"/x\"}",
      "mem_bytes{job=\"nonexistent\"}",
      "{env=~\"p.*\", __name__=~\"c.*|m.*\"}",
  };
  auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
  for (const auto& sel : selectors) {
    auto ms = ParseSelector(sel);
    ASSERT_TRUE(ms.ok()) << sel << ms.status().ToString();
    std::set<std::string> want;
    for (const auto& s : all) {
      bool ok = true;
      for (const auto& m : *ms) ok = ok && m.Matches(s.labels.Get(m.name()));
      if (ok) want.insert(s.labels.ToString());
    }
    std::set<std::string> got;
    std::string prev;
    auto set = q->Select(*ms);
    while (set->Next()) {
      std::string str = set->At().labels().ToString();
      got.insert(str);
    }
    EXPECT_EQ(got, want) << sel;
    // LabelValues over the matched series equals brute force too.
    std::set<std::string> want_jobs;
    for (const auto& s : all) {
      bool ok = true;
      for (const auto& m : *ms) ok = ok && m.Matches(s.labels.Get(m.name()));
      if (ok && !s.labels.Get("job").empty()) want_jobs.insert(std::string(s.labels.Get("job")));
    }
    auto jobs = q->LabelValues("job", *ms);
    ASSERT_TRUE(jobs.ok());
    EXPECT_EQ(std::set<std::string>(jobs->begin(), jobs->end()), want_jobs) << sel;
  }
  auto names_all = q->LabelNames({});
  ASSERT_TRUE(names_all.ok());
  EXPECT_EQ(names_all->front(), "__name__");
  auto vals = q->LabelValues("__name__", {});
  EXPECT_EQ(vals->size(), names.size());
}

TEST(HeadTest, SelectIsSortedByLabels) {
  Head head({}, nullptr);
  std::vector<OwnedSeries> batch;
  for (int i = 20; i > 0; --i) batch.push_back(Make({{"__name__", "m"}, {"i", std::to_string(i)}}, {{1, 1}}));
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  auto set = head.NewQuerier(0, 10)->Select(*ParseSelector("m"));
  std::vector<std::string> order;
  while (set->Next()) order.push_back(std::string(set->At().labels().Get("i")));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(order.size(), 20u);
}

TEST(HeadTest, ConcurrentAppendersAndReaders) {
  Head head({}, nullptr);
  constexpr int kThreads = 4, kSeries = 200, kRounds = 100;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&, w] {
      // Writers share half of their series with the next writer.
      for (int round = 0; round < kRounds; ++round) {
        std::vector<OwnedSeries> batch;
        for (int i = 0; i < kSeries; ++i) {
          int id = (w * kSeries / 2 + i) % (kThreads * kSeries / 2);
          batch.push_back(Make({{"__name__", "c"}, {"id", std::to_string(id)}},
                               {{static_cast<int64_t>(round) * 1000 + w, static_cast<double>(w)}}));
        }
        (void)head.AppendBatch(Views(batch));
      }
    });
  }
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
      auto set = q->Select(*ParseSelector("{__name__=\"c\"}"));
      int64_t prev_count = 0;
      while (set->Next()) {
        auto it = set->At().Iterator();
        int64_t last = INT64_MIN;
        while (it.Next()) {
          ASSERT_GT(it.t(), last);
          last = it.t();
          ++prev_count;
        }
        ASSERT_TRUE(it.status().ok());
      }
      reads.fetch_add(1);
    }
  });
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(head.num_series(), static_cast<uint64_t>(kThreads * kSeries / 2));
  // Each series saw 2 writers per round; timestamps round*1000+w are distinct and all
  // but out-of-order ones are kept: at least one per round, at most two.
  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  uint64_t total = 0;
  for (auto& [k, v] : dump) {
    EXPECT_GE(v.size(), static_cast<size_t>(kRounds));
    EXPECT_LE(v.size(), static_cast<size_t>(2 * kRounds));
    total += v.size();
  }
  EXPECT_EQ(total, head.Stats().samples);
}

// The ref -> series table starts with room for 64 Ki refs and grows its directory when a
// ref beyond it is set (WAL replay sets refs in any order, up to 2^28 - 1).
TEST(HeadTest, SeriesRefsAcrossTheRefTableGrowth) {
  Head head({}, nullptr);
  const std::vector<SeriesRef> refs = {1,      70'000, 4096 * 1000 + 7, (SeriesRef{1} << 28) - 1,
                                       65'535, 2};
  for (SeriesRef ref : refs) {
    const std::string id = std::to_string(ref);
    const LabelView labels[] = {{"__name__", "r"}, {"ref", id}};
    ASSERT_TRUE(head.ReplaySeries(ref, labels).ok()) << ref;
    const Sample sample{1000, static_cast<double>(ref)};
    head.ReplaySamples(ref, std::span(&sample, 1));
  }
  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  ASSERT_EQ(dump.size(), refs.size());
  for (SeriesRef ref : refs) {
    auto& samples = dump["r{ref=\"" + std::to_string(ref) + "\"}"];
    ASSERT_EQ(samples.size(), 1u) << ref;  // ReplaySamples found the series by its ref
    EXPECT_EQ(std::bit_cast<double>(samples[0].second), static_cast<double>(ref));
  }
  // New series continue after the highest replayed ref.
  auto batch = std::vector<OwnedSeries>{};
  batch.push_back(Make({{"__name__", "r"}, {"ref", "new"}}, {{2000, 1}}));
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  EXPECT_EQ(head.num_series(), refs.size() + 1);
}

// Readers run while a writer creates series past the table's first directory (64 Ki refs).
TEST(HeadTest, ReadersDuringRefTableGrowth) {
  Head head({}, nullptr);
  constexpr int kSeries = 80'000, kBatch = 2'000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int b = 0; b < kSeries / kBatch; ++b) {
      std::vector<OwnedSeries> batch;
      for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
        batch.push_back(
            Make({{"__name__", "g"}, {"id", std::to_string(i)}}, {{1000, static_cast<double>(i)}}));
      }
      if (!head.AppendBatch(Views(batch)).ok()) {
        ADD_FAILURE() << "batch " << b;
        break;
      }
    }
    done = true;
  });
  size_t last = 0, reads = 0;
  while (!done.load() || reads == 0) {
    auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
    auto set = q->Select(*ParseSelector("{__name__=\"g\"}"));
    size_t n = 0;
    while (set->Next()) {
      auto it = set->At().Iterator();
      // Not ASSERT: returning here would destroy the running writer thread.
      if (!it.Next()) {
        ADD_FAILURE() << "a series without its sample: " << set->At().labels().Get("id");
        ++n;
        continue;
      }
      EXPECT_EQ(std::to_string(static_cast<int>(it.v())),
                std::string(set->At().labels().Get("id")));
      ++n;
    }
    EXPECT_GE(n, last);  // series are never lost while the table grows
    last = n;
    ++reads;
  }
  writer.join();
  EXPECT_EQ(head.num_series(), static_cast<uint64_t>(kSeries));
  auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
  auto set = q->Select(*ParseSelector("{__name__=\"g\"}"));
  size_t n = 0;
  while (set->Next()) ++n;
  EXPECT_EQ(n, static_cast<size_t>(kSeries));
}

}  // namespace
}  // namespace perfwatch::tsdb

namespace perfwatch::tsdb {
namespace {

TEST(HeadOutOfOrderTest, WindowAcceptsMergesAndCompacts) {
  MetricsRegistry reg;
  HeadOptions opts;
  opts.out_of_order_window_ms = 1000;
  opts.chunk_max_samples = 10;
  Head head(opts, &reg);
  auto append = [&](std::vector<Sample> s, AppendResult* r = nullptr) {
    std::vector<OwnedSeries> b;
    b.emplace_back(Labels::FromPairs({{"__name__", "o"}}), std::move(s));
    return head.AppendBatch(Views(b), r);
  };
  ASSERT_TRUE(append({{10000, 1}, {10100, 2}, {10200, 3}}).ok());
  AppendResult r;
  ASSERT_TRUE(append({{9500, 0.5}, {10150, 2.5}, {9500, 0.5}}, &r).ok());  // in window; dup
  EXPECT_EQ(r.appended, 2u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(append({{10150, 9}}).code(), StatusCode::kInvalidArgument);  // duplicate_timestamp
  EXPECT_EQ(append({{10000, 7}}).code(), StatusCode::kInvalidArgument);  // in a chunk, other value
  EXPECT_EQ(append({{9100, 1}}).code(), StatusCode::kInvalidArgument);   // 1100 ms old: outside
  auto dump = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX));
  std::vector<int64_t> ts;
  for (auto& [t, bits] : dump["o{}"]) ts.push_back(t);
  EXPECT_EQ(ts, (std::vector<int64_t>{9500, 10000, 10100, 10150, 10200}));
  // Range reads merge the buffer too.
  auto part = DumpQuerier(*head.NewQuerier(10120, 10160));
  ASSERT_EQ(part["o{}"].size(), 1u);
  EXPECT_EQ(part["o{}"][0].first, 10150);

  // Fill the buffer past chunk_max_samples: the series is rebuilt, still ordered.
  std::vector<Sample> many;
  for (int i = 0; i < 25; ++i) many.push_back({10210 + i * 10, double(i)});
  ASSERT_TRUE(append(many).ok());
  std::vector<Sample> older;
  for (int i = 0; i < 12; ++i) older.push_back({10000 + 5 + i * 10, -double(i)});
  ASSERT_TRUE(append(older).ok());
  auto all = DumpQuerier(*head.NewQuerier(INT64_MIN, INT64_MAX))["o{}"];
  EXPECT_EQ(all.size(), 5u + 25u + 12u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].first, all[i].first);
  EXPECT_EQ(head.Stats().samples, all.size());
}

}  // namespace
}  // namespace perfwatch::tsdb
