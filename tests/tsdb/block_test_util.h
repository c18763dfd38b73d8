#pragma once
// Helpers for the block tests: an in-memory Querier over owned series that matches by
// brute force (the oracle the block and merge queriers are compared with), and a random
// series generator with adversarial values (NaN payloads, stale markers, ±Inf, -0).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <set>

#include "tsdb/querier.h"
#include "tsdb_test_util.h"

namespace perfwatch::tsdb::testing {

inline constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

struct MemSeries {
  Labels labels;
  std::vector<Sample> samples;  // strictly increasing t
};

// Brute-force Querier: every series is checked against every matcher.
class VectorQuerier final : public Querier {
 public:
  VectorQuerier(std::vector<MemSeries> series, int64_t mint, int64_t maxt) : Querier(mint, maxt), series_(std::move(series)) {
    std::sort(series_.begin(), series_.end(),
              [](const MemSeries& a, const MemSeries& b) { return CompareLabels(a.labels.Views(), b.labels.Views()) < 0; });
  }

  static bool MatchesAll(const Labels& l, std::span<const Matcher> ms) {
    for (const Matcher& m : ms) {
      if (!m.Matches(l.Get(m.name()))) return false;
    }
    return true;
  }
  bool InRange(const MemSeries& s) const {
    for (const Sample& x : s.samples) {
      if (x.t >= mint() && x.t <= maxt()) return true;
    }
    return false;
  }

  std::unique_ptr<SeriesSet> Select(std::span<const Matcher> matchers) const override {
    auto set = std::make_unique<Set>();
    for (const MemSeries& s : series_) {
      if (!MatchesAll(s.labels, matchers) || !InRange(s)) continue;
      std::vector<uint8_t> data;
      std::vector<uint32_t> ends;
      for (size_t off = 0; off < s.samples.size(); off += 100) {
        auto app = NewChunkAppender();
        for (size_t i = off; i < std::min(off + 100, s.samples.size()); ++i) app->Append(s.samples[i].t, s.samples[i].v);
        data.insert(data.end(), app->bytes().begin(), app->bytes().end());
        ends.push_back(uint32_t(data.size()));
      }
      set->series.emplace_back(s.labels, std::move(data), std::move(ends), mint(), maxt());
    }
    return set;
  }
  Result<std::vector<std::string>> LabelNames(std::span<const Matcher> matchers) const override {
    std::set<std::string> out;
    for (const MemSeries& s : series_) {
      if (MatchesAll(s.labels, matchers) && InRange(s))
        for (const Label& l : s.labels) out.insert(l.name);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }
  Result<std::vector<std::string>> LabelValues(std::string_view name, std::span<const Matcher> matchers) const override {
    std::set<std::string> out;
    for (const MemSeries& s : series_) {
      if (MatchesAll(s.labels, matchers) && InRange(s) && !s.labels.Get(name).empty())
        out.insert(std::string(s.labels.Get(name)));
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

 private:
  struct Set final : SeriesSet {
    std::vector<Series> series;
    size_t pos = 0;
    bool Next() override { return pos++ < series.size(); }
    const Series& At() const override { return series[pos - 1]; }
    Status status() const override { return Status::Ok(); }
  };
  std::vector<MemSeries> series_;
};

inline double RandomValue(std::mt19937_64& rng, int kind, double prev) {
  switch (rng() % 16) {
    case 0: return std::bit_cast<double>(kStaleNaN);
    case 1: return std::bit_cast<double>(0x7ff8000000000000ULL | (rng() & 0xffff));  // NaN payload
    case 2: return (rng() & 1) ? INFINITY : -INFINITY;
    case 3: return -0.0;
    default: break;
  }
  switch (kind % 3) {
    case 0: return prev + double(rng() % 100);                     // counter
    case 1: return double(int64_t(rng() % 100000)) / 100.0;        // decimal gauge
    default: return std::bit_cast<double>(rng() & ~(1ULL << 62));  // arbitrary floats
  }
}

// `n` series with labels from a small vocabulary (some labels absent), 0..max_samples
// samples each, strictly increasing timestamps from t0 at jittered 10 s steps.
inline std::vector<MemSeries> RandomSeries(uint64_t seed, int n, int max_samples, int64_t t0) {
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  std::vector<MemSeries> out;
  const char* names[] = {"up", "http_requests_total", "mem_bytes", "rum_lcp"};
  while (int(out.size()) < n) {
    std::vector<std::pair<std::string, std::string>> pairs = {{"__name__", names[rng() % 4]},
                                                               {"instance", "i" + std::to_string(rng() % 20)}};
    if (rng() % 2) pairs.push_back({"job", rng() % 3 ? "api" : "web"});
    if (rng() % 3 == 0) pairs.push_back({"le", std::to_string(rng() % 5) + ".5"});
    if (rng() % 7 == 0) pairs.push_back({"weird", std::string("a\"b\\c\n") + char('a' + rng() % 3)});
    std::vector<LabelView> views;
    for (auto& p : pairs) views.push_back({p.first, p.second});
    Labels l = Labels::FromViews(views);
    if (!seen.insert(l.ToString()).second) continue;
    MemSeries s{std::move(l), {}};
    int count = int(rng() % (max_samples + 1));
    int64_t t = t0 + int64_t(rng() % 5000);
    double prev = 0;
    int kind = int(rng() % 3);
    for (int i = 0; i < count; ++i) {
      prev = RandomValue(rng, kind, std::isfinite(prev) ? prev : 0);
      s.samples.push_back({t, prev});
      t += 10000 + int64_t(rng() % 31) - 15;
    }
    out.push_back(std::move(s));
  }
  return out;
}

inline Matcher M(MatchType t, std::string name, std::string value) {
  auto m = Matcher::Make(t, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(*m);
}

// Matcher sets covering the four kinds, absent labels and empty-matching matchers.
inline std::vector<std::vector<Matcher>> MatcherCases() {
  using enum MatchType;
  return {
      {},
      {M(kEqual, "__name__", "up")},
      {M(kEqual, "__name__", "nope")},
      {M(kNotEqual, "job", "api")},
      {M(kRegexMatch, "__name__", "(up|mem_.*)"), M(kEqual, "job", "web")},
      {M(kRegexNoMatch, "instance", "i1.*")},
      {M(kRegexMatch, "le", ".*")},
      {M(kRegexMatch, "le", ".+")},
      {M(kEqual, "job", "")},
      {M(kNotEqual, "job", "")},
      {M(kRegexMatch, "instance", "i(2|3|4)"), M(kRegexNoMatch, "__name__", "rum.*"), M(kNotEqual, "le", "1.5")},
      {M(kEqual, "weird", "a\"b\\c\nb")},
      {M(kEqual, "nolabel", "x")},
  };
}

}  // namespace perfwatch::tsdb::testing
