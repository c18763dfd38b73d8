// Rule evaluation benchmarks: 10,000 alerting rules `metric{instance="i"} > threshold` over
// 10,000 series (the target: one evaluation cycle under 100 ms), and the cost the
// append observer adds per appended series when those rules are loaded.
//
//   ninja -C build bench/rule_eval_benchmark && build/bench/rule_eval_benchmark
//
// Reported: time per cycle (all 10,000 rules), and ns per appended series for the trigger
// index (non-breaching samples: the common case under load).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "alert/rule_group.h"
#include "alert/rule_querier.h"
#include "alert/trigger_index.h"
#include "query/promql_engine.h"
#include "tsdb/head.h"

namespace perfwatch::alert {
namespace {

constexpr int kSeries = 10'000;
constexpr int kSamples = 60;  // 15 minutes at 15 s
constexpr int64_t kInterval = 15'000;
constexpr int64_t kEnd = (kSamples - 1) * kInterval;

struct Fixture {
  std::unique_ptr<tsdb::Head> head;
  std::unique_ptr<query::promql::HeadQueryable> queryable;
  std::unique_ptr<query::promql::Engine> engine;
  std::unique_ptr<EngineRuleQuerier> querier;
  std::vector<std::shared_ptr<RuleGroup>> groups;
  std::vector<tsdb::Labels> labels;
  std::vector<std::vector<tsdb::LabelView>> views;  // of `labels`, as an append batch carries them

  Fixture() {
    head = std::make_unique<tsdb::Head>(tsdb::HeadOptions{}, nullptr);
    for (int i = 0; i < kSeries; ++i) {
      labels.push_back(tsdb::Labels::FromPairs(
          {{"__name__", "node_load"}, {"instance", "host-" + std::to_string(i)}, {"job", "node"}}));
    }
    for (const auto& l : labels) views.push_back(l.Views());
    for (int s = 0; s < kSamples; ++s) {
      std::vector<tsdb::Sample> values(kSeries);
      std::vector<tsdb::SeriesSamples> batch;
      for (int i = 0; i < kSeries; ++i) {
        values[i] = {s * kInterval, static_cast<double>(i % 100)};
        batch.push_back({views[i], std::span<const tsdb::Sample>(&values[i], 1)});
      }
      (void)head->AppendBatch(batch);
    }
    queryable = std::make_unique<query::promql::HeadQueryable>(head.get());
    engine = std::make_unique<query::promql::Engine>(queryable.get());
    querier = std::make_unique<EngineRuleQuerier>(engine.get());
    RuleGroupSpec spec;
    spec.file = "bench.yml";
    spec.name = "thresholds";
    for (int i = 0; i < kSeries; ++i) {
      RuleSpec r;
      r.alert = "HighLoad";
      // 1 % of the series breach their threshold.
      r.expr = "node_load{instance=\"host-" + std::to_string(i) + "\"} > " + (i % 100 == 99 ? "90" : "100");
      r.labels = {{"severity", "page"}};
      r.annotations = {{"summary", "{{ $labels.instance }} load is {{ $value }}"}};
      spec.rules.push_back(std::move(r));
    }
    groups.push_back(std::shared_ptr<RuleGroup>(RuleGroup::Create(spec, 60'000, 0).value()));
  }
};

Fixture& Get() {
  static Fixture f;
  return f;
}

void BM_EvalCycle10kRules(benchmark::State& state) {
  Fixture& f = Get();
  GroupEvalDeps deps;
  deps.querier = f.querier.get();
  int64_t ts = kEnd;
  for (auto _ : state) {
    f.groups[0]->Eval(++ts, /*all=*/true, deps);
  }
  state.counters["rules_per_s"] = benchmark::Counter(kSeries, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EvalCycle10kRules)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2);

void BM_TriggerIndexPerAppendedSeries(benchmark::State& state) {
  Fixture& f = Get();
  auto index = TriggerIndex::Build(f.groups);
  const auto& views = f.views;
  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    index->Match(views[i], 1.0, [&](TriggerTarget) { ++hits; });
    if (++i == views.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TriggerIndexPerAppendedSeries);

void BM_TriggerIndexCachedRef(benchmark::State& state) {
  Fixture& f = Get();
  auto index = TriggerIndex::Build(f.groups);
  const auto& views = f.views;
  size_t i = 0;
  int64_t hits = 0;
  auto count = [&](TriggerTarget) { ++hits; };
  const std::function<void(TriggerTarget)> fn = count;
  auto cursor = index->Cursor(1);  // one per append batch in the server
  for (auto _ : state) {
    cursor.MatchRef(i + 1, views[i], 1.0, fn);
    if (++i == views.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TriggerIndexCachedRef);

void BM_TriggerIndexUnrelatedSeries(benchmark::State& state) {
  Fixture& f = Get();
  auto index = TriggerIndex::Build(f.groups);
  tsdb::Labels other = tsdb::Labels::FromPairs({{"__name__", "http_requests_total"}, {"instance", "host-1"}});
  auto views = other.Views();
  int64_t hits = 0;
  for (auto _ : state) index->Match(views, 1.0, [&](TriggerTarget) { ++hits; });
  benchmark::DoNotOptimize(hits);
}
BENCHMARK(BM_TriggerIndexUnrelatedSeries);

}  // namespace
}  // namespace perfwatch::alert
