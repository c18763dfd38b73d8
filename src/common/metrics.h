#pragma once
// perfwatch's own metrics, rendered in the Prometheus text format at GET /metrics.
// Components register counters, gauges and histograms once (registration takes a lock)
// and keep the returned pointer; updates on hot paths are lock-free atomics.
// Thread safety: every method is thread-safe. Returned pointers live as long as the registry.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace perfwatch {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // Cumulative counts per bound (last is +Inf), the sum and the count.
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 100 µs to 10 s.
std::vector<double> DefaultLatencyBuckets();

// One metric family as /metrics describes it, for the metadata API.
struct MetricFamilyInfo {
  std::string name;
  std::string type;  // "counter", "gauge", "histogram" (or what a collector's TYPE line says)
  std::string help;
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Get-or-create; the same (name, labels) returns the same object.
  Counter* GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge* GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram* GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& bounds, const MetricLabels& labels = {});

  // A collector appends complete exposition text (with HELP/TYPE) at render time; used
  // for values that are read rather than counted (RSS, stored events).
  void AddCollector(std::function<void(std::string& out)> collector);

  // The whole exposition in text format 0.0.4.
  std::string Render() const;

  // Every family Render() would describe (registered ones, those in collectors' output
  // and process_*), in name order, with type and help. Runs the collectors.
  std::vector<MetricFamilyInfo> ListFamilies() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // keyed by rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& GetFamily(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;            // guarded by mu_
  std::vector<std::function<void(std::string&)>> collectors_;        // guarded by mu_
};

// Renders labels as `{a="x",b="y"}` (empty string for none), escaping values.
std::string RenderLabels(const MetricLabels& labels);

// Appends process_* metrics (RSS, virtual memory, CPU seconds, open fds, start time) from /proc.
void AppendProcessMetrics(std::string& out);

// Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown.
uint64_t ProcessRssBytes();

}  // namespace perfwatch
