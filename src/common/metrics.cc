#include "common/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace perfwatch {
namespace {

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, p - buf);
  }
}

void AtomicAdd(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

// Inserts an extra label into an already-rendered label string.
std::string WithLabel(const std::string& rendered, std::string_view name, std::string_view value) {
  std::string extra = std::string(name) + "=\"" + std::string(value) + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(v_, d); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.count = acc;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

MetricsRegistry::Family& MetricsRegistry::GetFamily(std::string_view name, std::string_view help,
                                                     Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  }
  return it->second;
}

Counter* MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, help, Kind::kCounter).counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, help, Kind::kGauge).gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& bounds,
                                         const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, help, Kind::kHistogram).histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return slot.get();
}

void MetricsRegistry::AddCollector(std::function<void(std::string& out)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  out.reserve(16384);
  // Collectors run without mu_: they take their owners' locks (the TSDB's head lock, for
  // one), and those owners register metrics while holding them; calling collectors under
  // mu_ would order the two locks both ways.
  std::vector<std::function<void(std::string&)>> collectors;
  std::unique_lock lock(mu_);
  collectors = collectors_;
  for (const auto& [name, fam] : families_) {
    out += "# HELP " + name + " " + fam.help + "\n";
    switch (fam.kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : fam.counters) {
          out += name + labels + " ";
          AppendValue(out, static_cast<double>(c->Value()));
          out += '\n';
        }
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : fam.gauges) {
          out += name + labels + " ";
          AppendValue(out, g->Value());
          out += '\n';
        }
        break;
      case Kind::kHistogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : fam.histograms) {
          Histogram::Snapshot s = h->Read();
          for (size_t i = 0; i <= s.bounds.size(); ++i) {
            std::string le;
            if (i == s.bounds.size()) {
              le = "+Inf";
            } else {
              AppendValue(le, s.bounds[i]);
            }
            out += name + "_bucket" + WithLabel(labels, "le", le) + " ";
            AppendValue(out, static_cast<double>(s.cumulative[i]));
            out += '\n';
          }
          out += name + "_sum" + labels + " ";
          AppendValue(out, s.sum);
          out += '\n' + name + "_count" + labels + " ";
          AppendValue(out, static_cast<double>(s.count));
          out += '\n';
        }
        break;
    }
  }
  lock.unlock();
  for (const auto& c : collectors) c(out);
  AppendProcessMetrics(out);
  return out;
}

namespace {

// Reads "# HELP name text" and "# TYPE name type" lines of exposition text into `by_name`.
void ScanMetadataLines(std::string_view text, std::map<std::string, MetricFamilyInfo>& by_name) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    bool help = line.starts_with("# HELP ");
    if (!help && !line.starts_with("# TYPE ")) continue;
    line.remove_prefix(7);
    size_t sp = line.find(' ');
    std::string name(line.substr(0, sp));
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    MetricFamilyInfo& info = by_name[name];
    info.name = name;
    if (!help) {
      info.type = std::string(rest);
      continue;
    }
    info.help.clear();
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size() && (rest[i + 1] == '\\' || rest[i + 1] == 'n')) {
        info.help += rest[i + 1] == 'n' ? '\n' : '\\';
        ++i;
      } else {
        info.help += rest[i];
      }
    }
  }
}

}  // namespace

std::vector<MetricFamilyInfo> MetricsRegistry::ListFamilies() const {
  std::map<std::string, MetricFamilyInfo> by_name;
  std::string collected;
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, fam] : families_) {
      std::string_view type = fam.kind == Kind::kCounter ? "counter" : fam.kind == Kind::kGauge ? "gauge" : "histogram";
      by_name[name] = MetricFamilyInfo{name, std::string(type), fam.help};
    }
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(collected);  // without mu_: see Render
  AppendProcessMetrics(collected);
  ScanMetadataLines(collected, by_name);
  std::vector<MetricFamilyInfo> out;
  out.reserve(by_name.size());
  for (auto& [name, info] : by_name) {
    if (info.type.empty()) info.type = "unknown";
    out.push_back(std::move(info));
  }
  return out;
}

uint64_t ProcessRssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void AppendProcessMetrics(std::string& out) {
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the ")" that closes the command name.
  auto close = content.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream rest(content.substr(close + 2));
  std::vector<std::string> f;
  std::string tok;
  while (rest >> tok) f.push_back(tok);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23 (1-based fields).
  if (f.size() < 21) return;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double start_ticks = std::stod(f[19]);
  double vsize = std::stod(f[20]);
  double boot_time = 0;
  std::ifstream pstat("/proc/stat");
  std::string line;
  while (std::getline(pstat, line)) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++fds;
    closedir(d);
    fds -= 3;  // ".", ".." and the directory itself
  }
  auto emit = [&](const char* name, const char* type, const char* help, double v) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    AppendValue(out, v);
    out += '\n';
  };
  emit("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu);
  emit("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
       static_cast<double>(ProcessRssBytes()));
  emit("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", vsize);
  emit("process_open_fds", "gauge", "Number of open file descriptors.", fds);
  emit("process_start_time_seconds", "gauge",
       "Start time of the process since unix epoch in seconds.", boot_time + start_ticks / ticks);
}

}  // namespace perfwatch
