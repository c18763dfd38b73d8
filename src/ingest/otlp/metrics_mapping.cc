#include "ingest/otlp/metrics_mapping.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <optional>
#include <utility>

#include "tsdb/stale.h"

namespace perfwatch::ingest::otlp {
namespace {

// UCUM unit -> Prometheus unit word (the translator's spec-correct table).
std::string_view MainUnit(std::string_view u) {
  static const std::pair<std::string_view, std::string_view> kUnits[] = {
      {"d", "days"},        {"h", "hours"},         {"min", "minutes"},     {"s", "seconds"},
      {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
      {"KiBy", "kibibytes"}, {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"},  {"TiBy", "tebibytes"},
      {"KBy", "kilobytes"},  {"MBy", "megabytes"},   {"GBy", "gigabytes"},   {"TBy", "terabytes"},
      {"m", "meters"},       {"V", "volts"},         {"A", "amperes"},       {"J", "joules"},
      {"W", "watts"},        {"g", "grams"},         {"Cel", "celsius"},     {"Hz", "hertz"},
      {"1", ""},             {"%", "percent"}};
  for (auto [k, v] : kUnits)
    if (k == u) return v;
  return u;
}

std::string_view PerUnit(std::string_view u) {
  static const std::pair<std::string_view, std::string_view> kUnits[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"}, {"w", "week"}, {"mo", "month"}, {"y", "year"}};
  for (auto [k, v] : kUnits)
    if (k == u) return v;
  return u;
}

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Invalid metric characters -> '_', runs of '_' collapsed, a leading '_' dropped.
std::string CleanUpUnit(std::string_view u) {
  std::string out;
  for (char c : u) {
    char m = (IsAlnum(c) || c == ':') ? c : '_';
    if (m == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(m);
  }
  if (!out.empty() && out.front() == '_') out.erase(0, 1);
  return out;
}

// The main and "per_" unit suffixes, cleaned.
std::pair<std::string, std::string> UnitSuffixes(std::string_view unit) {
  std::string main, per;
  size_t slash = unit.find('/');
  std::string_view m = Trim(unit.substr(0, slash));
  if (!m.empty() && m.find_first_of("{}") == std::string_view::npos) main = CleanUpUnit(MainUnit(m));
  if (slash != std::string_view::npos) {
    std::string_view p = Trim(unit.substr(slash + 1));
    if (!p.empty() && p.find_first_of("{}") == std::string_view::npos) {
      std::string_view w = PerUnit(p);
      if (!w.empty()) per = CleanUpUnit("per_" + std::string(w));
    }
  }
  return {main, per};
}

std::string_view KindType(PromKind k) {
  switch (k) {
    case PromKind::kCounter: return "counter";
    case PromKind::kHistogram: return "histogram";
    case PromKind::kSummary: return "summary";
    default: return "gauge";
  }
}

struct ClassicHist {
  std::map<double, uint64_t> buckets;  // upper bound -> count (not cumulative), +Inf excluded
  uint64_t count = 0;
  std::optional<double> sum;
};

// Explicit-bounds point -> classic buckets; "" or the reason it is invalid.
std::string ExplicitToClassic(const HistogramDataPoint& p, ClassicHist* h) {
  h->count = p.count;
  h->sum = p.sum;
  if (p.bucket_counts.empty()) return "";
  if (p.bucket_counts.size() != p.explicit_bounds.size() + 1)
    return "histogram has " + std::to_string(p.bucket_counts.size()) + " bucket counts for " +
           std::to_string(p.explicit_bounds.size()) + " explicit bounds (want bounds + 1)";
  uint64_t total = 0;
  for (size_t i = 0; i < p.explicit_bounds.size(); ++i) {
    double b = p.explicit_bounds[i];
    if (!std::isfinite(b) || (i > 0 && !(b > p.explicit_bounds[i - 1])))
      return "histogram explicit bounds are not finite and strictly increasing";
    h->buckets[b] += p.bucket_counts[i];
  }
  for (uint64_t c : p.bucket_counts) total += c;
  if (total != p.count)
    return "histogram bucket counts add up to " + std::to_string(total) + ", count is " + std::to_string(p.count);
  return "";
}

// Exponential point -> classic buckets at scale min(scale, max_scale). Bucket index i of
// scale s covers |v| in (base^i, base^(i+1)], base = 2^(2^-s): positive buckets get the
// bound base^(i+1), negative ones -base^i, the zero bucket zero_threshold.
std::string ExponentialToClassic(const ExponentialHistogramDataPoint& p, int32_t max_scale, ClassicHist* h) {
  h->count = p.count;
  h->sum = p.sum;
  if (p.scale < -10 || p.scale > 20) return "exponential histogram scale " + std::to_string(p.scale) + " outside [-10, 20]";
  if (!(p.zero_threshold >= 0) || !std::isfinite(p.zero_threshold))
    return "exponential histogram zero_threshold is not a finite number >= 0";
  const int32_t target = std::min(p.scale, max_scale);
  const int shift = p.scale - target;
  auto bound = [target](int64_t j) { return std::exp2(std::ldexp(static_cast<double>(j), -target)); };
  uint64_t total = p.zero_count;
  for (size_t k = 0; k < p.positive.bucket_counts.size(); ++k) {
    uint64_t c = p.positive.bucket_counts[k];
    total += c;
    int64_t j = (static_cast<int64_t>(p.positive.offset) + static_cast<int64_t>(k)) >> shift;
    if (c) h->buckets[bound(j + 1)] += c;
  }
  for (size_t k = 0; k < p.negative.bucket_counts.size(); ++k) {
    uint64_t c = p.negative.bucket_counts[k];
    total += c;
    int64_t j = (static_cast<int64_t>(p.negative.offset) + static_cast<int64_t>(k)) >> shift;
    if (c) h->buckets[-bound(j)] += c;
  }
  if (p.zero_count) h->buckets[p.zero_threshold] += p.zero_count;
  for (const auto& [b, c] : h->buckets)
    if (!std::isfinite(b)) return "exponential histogram bucket index out of range";
  if (total != p.count)
    return "exponential histogram bucket counts add up to " + std::to_string(total) + ", count is " +
           std::to_string(p.count);
  return "";
}

}  // namespace

std::string PrometheusUnit(std::string_view unit) {
  auto [main, per] = UnitSuffixes(unit);
  while (!main.empty() && main.back() == '_') main.pop_back();
  while (!per.empty() && per.back() == '_') per.pop_back();
  if (per == "per") per.clear();
  if (!main.empty() && !per.empty()) return main + "_" + per;
  return main.empty() ? per : main;
}

std::string PrometheusMetricName(std::string_view name, std::string_view unit, PromKind kind) {
  // Tokens: runs of [a-zA-Z0-9:] (so runs of '_' and invalid characters collapse).
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : name) {
    if (IsAlnum(c) || c == ':') {
      cur.push_back(c);
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  auto contains = [&](const std::string& t) { return std::find(tokens.begin(), tokens.end(), t) != tokens.end(); };
  auto [main, per] = UnitSuffixes(unit);
  if (contains(main)) main.clear();
  if (per == "per_") {
    per.clear();
  } else {
    while (!per.empty() && per.back() == '_') per.pop_back();
    if (contains(per)) per.clear();
  }
  if (!per.empty())
    while (!main.empty() && main.back() == '_') main.pop_back();
  if (!main.empty()) tokens.push_back(main);
  if (!per.empty()) tokens.push_back(per);
  auto move_last = [&](const std::string& word) {
    std::erase(tokens, word);
    tokens.push_back(word);
  };
  if (kind == PromKind::kCounter) move_last("total");
  if (kind == PromKind::kGauge && unit == "1") move_last("ratio");
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out.push_back('_');
    out += t;
  }
  if (!out.empty() && IsDigit(out[0])) out.insert(0, "_");
  if (out.find_first_not_of('_') == std::string::npos) return "";
  return out;
}

std::string PrometheusLabelName(std::string_view key) {
  if (key.empty()) return "";
  std::string out(key);
  for (char& c : out)
    if (!IsAlnum(c) && c != '_') c = '_';
  if (IsDigit(out[0])) {
    out.insert(0, "key_");
  } else if (out[0] == '_' && !(out.size() > 1 && out[1] == '_')) {
    out.insert(0, "key");
  }
  if (out != key && out.find_first_not_of('_') == std::string::npos) return "";
  return out;
}

std::string FormatLabelFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// Maps one request into one append batch (see the header's contract).
class MetricsRequestMapper {
 public:
  explicit MetricsRequestMapper(OtlpMetricsWriter* w) : w_(w), now_(std::chrono::steady_clock::now()) {}

  Status Run(const MetricsRequest& req, MetricsWriteResult* out);

 private:
  struct Entry {
    size_t label_begin, label_count, sample;
  };
  struct Group {  // the entries of one accepted data point
    size_t begin, end;
  };
  // Resource-level labels (job, instance), sorted.
  struct Context {
    std::vector<tsdb::LabelView> extras;  // job, instance, otel_scope_* (override attributes)
  };

  std::string_view Keep(std::string s) { return arena_.emplace_back(std::move(s)); }
  void Reject(std::string_view metric, std::string_view why) {
    ++rejected_;
    if (first_error_.empty()) first_error_ = "metric \"" + std::string(metric) + "\": " + std::string(why);
  }
  // Sorted, merged attribute labels plus the context's extras into base_; false (and
  // `why`) when a key sanitizes to nothing.
  bool BuildBase(const Attributes& attrs, const Context& ctx, std::string* why);
  // One series: base_ + __name__ + optional (extra_name, extra_value).
  void Emit(std::string_view name, std::string_view extra_name, std::string_view extra_value, int64_t t, double v);
  void BeginPoint() { group_begin_ = entries_.size(); }
  void EndPoint() {
    groups_.push_back({group_begin_, entries_.size()});
    ++accepted_;
  }
  void EmitClassic(std::string_view base, const ClassicHist& h, int64_t t, bool stale);
  void MapMetric(const Metric& m, const Context& ctx, uint64_t* max_time);
  // The running totals of `key` (created when absent) with the undo log updated, or null
  // (and `why`) when the point must be refused.
  OtlpMetricsWriter::DeltaState* DeltaFor(const std::string& key, uint64_t start_ns, uint64_t time_ns, std::string* why);
  std::string DeltaKey(char type, std::string_view name) const;
  void RollBackDeltas();
  void AddMetadata(std::string family, PromKind kind, const Metric& m) {
    if (!w_->metadata_) return;
    meta_.push_back({std::move(family), {std::string(KindType(kind)), m.description, PrometheusUnit(m.unit)}});
  }

  OtlpMetricsWriter* const w_;
  const std::chrono::steady_clock::time_point now_;
  std::deque<std::string> arena_;
  std::vector<tsdb::LabelView> labels_;
  std::vector<tsdb::Sample> samples_;
  std::vector<Entry> entries_;
  std::vector<Group> groups_;
  size_t group_begin_ = 0;
  std::vector<tsdb::LabelView> base_;
  std::vector<FamilyMetadata> meta_;
  // Delta streams touched: key and the state before (nullopt: did not exist).
  std::vector<std::pair<std::string, std::optional<OtlpMetricsWriter::DeltaState>>> undo_;
  uint64_t accepted_ = 0, rejected_ = 0;
  std::string first_error_;
};

bool MetricsRequestMapper::BuildBase(const Attributes& attrs, const Context& ctx, std::string* why) {
  base_.clear();
  struct A {
    std::string_view name, key, value;
  };
  std::vector<A> a;
  a.reserve(attrs.size());
  for (const KeyValue& kv : attrs) {
    std::string_view name = kv.key;
    std::string n = PrometheusLabelName(kv.key);
    if (n.empty()) {
      *why = "attribute key \"" + kv.key + "\" is not a valid label name after sanitizing";
      return false;
    }
    if (n != kv.key) name = Keep(std::move(n));
    std::string_view value = kv.value.type == AnyValue::Type::kString ? std::string_view(kv.value.string_value)
                                                                      : Keep(kv.value.ToString());
    a.push_back({name, kv.key, value});
  }
  std::sort(a.begin(), a.end(), [](const A& x, const A& y) { return std::tie(x.name, x.key) < std::tie(y.name, y.key); });
  for (size_t i = 0; i < a.size();) {
    size_t j = i + 1;
    while (j < a.size() && a[j].name == a[i].name) ++j;
    if (j == i + 1) {
      base_.push_back({a[i].name, a[i].value});
    } else {  // keys that collide after sanitizing: values joined with ';' in key order
      std::string v(a[i].value);
      for (size_t k = i + 1; k < j; ++k) (v += ';') += a[k].value;
      base_.push_back({a[i].name, Keep(std::move(v))});
    }
    i = j;
  }
  for (const tsdb::LabelView& e : ctx.extras) {
    auto it = std::lower_bound(base_.begin(), base_.end(), e.name,
                               [](const tsdb::LabelView& l, std::string_view n) { return l.name < n; });
    if (it != base_.end() && it->name == e.name) {
      it->value = e.value;
    } else {
      base_.insert(it, e);
    }
  }
  return true;
}

void MetricsRequestMapper::Emit(std::string_view name, std::string_view extra_name, std::string_view extra_value,
                                int64_t t, double v) {
  size_t lb = labels_.size();
  auto insert = [this, lb](tsdb::LabelView l) {
    auto first = labels_.begin() + static_cast<ptrdiff_t>(lb);
    auto it = std::lower_bound(first, labels_.end(), l.name,
                               [](const tsdb::LabelView& x, std::string_view n) { return x.name < n; });
    if (it != labels_.end() && it->name == l.name) {
      it->value = l.value;
    } else {
      labels_.insert(it, l);
    }
  };
  labels_.insert(labels_.end(), base_.begin(), base_.end());
  insert({tsdb::kMetricNameLabel, name});
  if (!extra_name.empty()) insert({extra_name, extra_value});
  entries_.push_back({lb, labels_.size() - lb, samples_.size()});
  samples_.push_back({t, v});
}

void MetricsRequestMapper::EmitClassic(std::string_view base, const ClassicHist& h, int64_t t, bool stale) {
  const double kStale = tsdb::StaleNaN();
  std::string_view bucket = Keep(std::string(base) + "_bucket");
  uint64_t cum = 0;
  for (const auto& [b, c] : h.buckets) {
    cum += c;
    Emit(bucket, "le", Keep(FormatLabelFloat(b)), t, stale ? kStale : static_cast<double>(cum));
  }
  Emit(bucket, "le", "+Inf", t, stale ? kStale : static_cast<double>(h.count));
  if (h.sum) Emit(Keep(std::string(base) + "_sum"), "", "", t, stale ? kStale : *h.sum);
  Emit(Keep(std::string(base) + "_count"), "", "", t, stale ? kStale : static_cast<double>(h.count));
}

std::string MetricsRequestMapper::DeltaKey(char type, std::string_view name) const {
  std::string key(1, type);
  key += name;
  for (const tsdb::LabelView& l : base_) {
    key.push_back('\0');
    key += l.name;
    key.push_back('\0');
    key += l.value;
  }
  return key;
}

OtlpMetricsWriter::DeltaState* MetricsRequestMapper::DeltaFor(const std::string& key, uint64_t start_ns,
                                                                uint64_t time_ns, std::string* why) {
  // Requires w_->delta_mu_.
  auto it = w_->delta_.find(key);
  if (it == w_->delta_.end()) {
    if (w_->delta_.size() >= w_->options_.max_delta_streams) {
      *why = "delta stream limit (" + std::to_string(w_->options_.max_delta_streams) + ") reached";
      return nullptr;
    }
    undo_.emplace_back(key, std::nullopt);
    OtlpMetricsWriter::DeltaState& s = w_->delta_[key];
    s.start_ns = start_ns ? start_ns : time_ns;
    s.last_time_ns = time_ns;
    s.touched = now_;
    return &s;
  }
  OtlpMetricsWriter::DeltaState& s = it->second;
  if (time_ns <= s.last_time_ns) {
    *why = "delta point not after the previous point of its series (resent or out of order)";
    return nullptr;
  }
  if (start_ns != 0 && start_ns < s.start_ns) {
    *why = "delta point starts before its series' first point";
    return nullptr;
  }
  undo_.emplace_back(key, s);
  s.last_time_ns = time_ns;
  s.touched = now_;
  return &s;
}

void MetricsRequestMapper::RollBackDeltas() {
  std::lock_guard lock(w_->delta_mu_);
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->second) {
      w_->delta_[it->first] = *it->second;
    } else {
      w_->delta_.erase(it->first);
    }
  }
}

void MetricsRequestMapper::MapMetric(const Metric& m, const Context& ctx, uint64_t* max_time) {
  const double kStale = tsdb::StaleNaN();
  const bool delta = m.aggregation_temporality == AggregationTemporality::kDelta;
  PromKind kind = PromKind::kGauge;
  std::string refuse;  // set when every point of the metric is refused
  switch (m.type) {
    case Metric::Type::kNone:
      return;  // no points
    case Metric::Type::kGauge:
      break;
    case Metric::Type::kSum:
      kind = m.is_monotonic ? PromKind::kCounter : PromKind::kNonMonotonicSum;
      if (m.aggregation_temporality == AggregationTemporality::kUnspecified)
        refuse = "aggregation_temporality is unspecified";
      else if (delta && !m.is_monotonic)
        refuse = "delta non-monotonic sums are dropped (the OpenTelemetry-to-Prometheus mapping)";
      break;
    case Metric::Type::kHistogram:
    case Metric::Type::kExponentialHistogram:
      kind = PromKind::kHistogram;
      if (m.aggregation_temporality == AggregationTemporality::kUnspecified)
        refuse = "aggregation_temporality is unspecified";
      break;
    case Metric::Type::kSummary:
      kind = PromKind::kSummary;
      break;
  }
  std::string name = PrometheusMetricName(m.name, m.unit, kind);
  if (name.empty()) refuse = "the name is not a valid metric name after sanitizing";
  if (!refuse.empty()) {
    for (size_t i = 0; i < m.data_point_count(); ++i) Reject(m.name, refuse);
    return;
  }
  std::string_view base = Keep(name);
  std::string why;
  auto common = [&](const Attributes& attrs, uint64_t time_ns) -> bool {
    if (time_ns == 0) {
      Reject(m.name, "time_unix_nano is 0");
      return false;
    }
    if (!BuildBase(attrs, ctx, &why)) {
      Reject(m.name, why);
      return false;
    }
    *max_time = std::max(*max_time, time_ns);
    return true;
  };
  auto ms = [](uint64_t ns) { return static_cast<int64_t>(ns / 1'000'000); };
  bool any = false;

  for (const NumberDataPoint& p : m.number_points) {
    if (!common(p.attributes, p.time_unix_nano)) continue;
    const bool stale = p.flags & kDataPointNoRecordedValue;
    if (!stale && p.value_type == NumberDataPoint::ValueType::kNone) {
      Reject(m.name, "data point has no value");
      continue;
    }
    double v = stale ? kStale : p.value();
    if (delta && !stale) {
      std::lock_guard lock(w_->delta_mu_);
      auto* s = DeltaFor(DeltaKey('s', base), p.start_time_unix_nano, p.time_unix_nano, &why);
      if (!s) {
        Reject(m.name, why);
        continue;
      }
      s->value += v;
      v = s->value;
    }
    BeginPoint();
    Emit(base, "", "", ms(p.time_unix_nano), v);
    EndPoint();
    any = true;
  }

  auto histogram = [&](const Attributes& attrs, uint64_t start_ns, uint64_t time_ns, uint32_t flags, char type,
                       auto&& convert) {
    if (!common(attrs, time_ns)) return;
    ClassicHist h;
    std::string bad = convert(&h);
    if (!bad.empty()) {
      Reject(m.name, bad);
      return;
    }
    const bool stale = flags & kDataPointNoRecordedValue;
    if (delta && !stale) {
      std::lock_guard lock(w_->delta_mu_);
      auto* s = DeltaFor(DeltaKey(type, base), start_ns, time_ns, &why);
      if (!s) {
        Reject(m.name, why);
        return;
      }
      const bool first = s->count == 0 && s->buckets.empty() && !s->has_sum;
      for (const auto& [b, c] : h.buckets) s->buckets[b] += c;
      s->count += h.count;
      if (h.sum) s->sum += *h.sum;
      s->has_sum = h.sum.has_value() && (first || s->has_sum);
      h.buckets = s->buckets;
      h.count = s->count;
      h.sum = s->has_sum ? std::optional<double>(s->sum) : std::nullopt;
    }
    BeginPoint();
    EmitClassic(base, h, ms(time_ns), stale);
    EndPoint();
    any = true;
  };
  for (const HistogramDataPoint& p : m.histogram_points)
    histogram(p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, 'h',
              [&](ClassicHist* h) { return ExplicitToClassic(p, h); });
  for (const ExponentialHistogramDataPoint& p : m.exponential_histogram_points)
    histogram(p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, 'e', [&](ClassicHist* h) {
      return ExponentialToClassic(p, w_->options_.max_exponential_scale, h);
    });

  for (const SummaryDataPoint& p : m.summary_points) {
    if (!common(p.attributes, p.time_unix_nano)) continue;
    const bool stale = p.flags & kDataPointNoRecordedValue;
    const int64_t t = ms(p.time_unix_nano);
    BeginPoint();
    for (const ValueAtQuantile& q : p.quantile_values)
      Emit(base, "quantile", Keep(FormatLabelFloat(q.quantile)), t, stale ? kStale : q.value);
    Emit(Keep(name + "_sum"), "", "", t, stale ? kStale : p.sum);
    Emit(Keep(name + "_count"), "", "", t, stale ? kStale : static_cast<double>(p.count));
    EndPoint();
    any = true;
  }
  if (any) AddMetadata(std::move(name), kind == PromKind::kNonMonotonicSum ? PromKind::kGauge : kind, m);
}

Status MetricsRequestMapper::Run(const MetricsRequest& req, MetricsWriteResult* out) {
  for (const ResourceMetrics& rm : req.resource_metrics) {
    const Attributes& ra = rm.resource.attributes;
    Context rctx;
    const AnyValue* service = FindAttribute(ra, "service.name");
    const AnyValue* ns = FindAttribute(ra, "service.namespace");
    const AnyValue* instance = FindAttribute(ra, "service.instance.id");
    if (service) {
      std::string job = service->ToString();
      if (ns) job = ns->ToString() + "/" + job;
      rctx.extras.push_back({"job", Keep(std::move(job))});
    }
    if (instance) rctx.extras.push_back({"instance", Keep(instance->ToString())});
    std::sort(rctx.extras.begin(), rctx.extras.end(),
              [](const tsdb::LabelView& a, const tsdb::LabelView& b) { return a.name < b.name; });
    uint64_t max_time = 0;
    for (const ScopeMetrics& sm : rm.scope_metrics) {
      Context ctx = rctx;
      if (!sm.scope.name.empty()) ctx.extras.push_back({"otel_scope_name", sm.scope.name});
      if (!sm.scope.version.empty()) ctx.extras.push_back({"otel_scope_version", sm.scope.version});
      std::sort(ctx.extras.begin(), ctx.extras.end(),
                [](const tsdb::LabelView& a, const tsdb::LabelView& b) { return a.name < b.name; });
      for (const Metric& m : sm.metrics) MapMetric(m, ctx, &max_time);
    }
    // target_info: the resource attributes other than those of job and instance.
    Attributes rest;
    for (const KeyValue& kv : ra)
      if (kv.key != "service.name" && kv.key != "service.namespace" && kv.key != "service.instance.id" &&
          !PrometheusLabelName(kv.key).empty())
        rest.push_back(kv);
    std::string why;
    if (!rest.empty() && max_time != 0 && BuildBase(rest, rctx, &why)) {
      Emit("target_info", "", "", static_cast<int64_t>(max_time / 1'000'000), 1);
      if (w_->metadata_) meta_.push_back({"target_info", {"gauge", "Target metadata", ""}});
    }
  }

  // The batch (spans into the vectors, which no longer grow).
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(entries_.size());
  for (const Entry& e : entries_)
    batch.push_back({std::span<const tsdb::LabelView>(labels_.data() + e.label_begin, e.label_count),
                     std::span<const tsdb::Sample>(samples_.data() + e.sample, 1)});
  tsdb::AppendResult ar;
  Status st = batch.empty() ? Status::Ok() : w_->tsdb_->AppendBatch(batch, &ar);
  out->samples_appended = ar.appended;
  if (st.code() == StatusCode::kInvalidArgument) {
    // Some samples were refused (out of order, limits): find the data points they belong
    // to by appending each point again on its own. What was stored comes back as a silent
    // duplicate; a refused point is refused again and counted.
    uint64_t refused = 0;
    std::string first;
    for (const Group& g : groups_) {
      tsdb::AppendResult r;
      Status s = w_->tsdb_->AppendBatch(std::span(batch).subspan(g.begin, g.end - g.begin), &r);
      out->samples_appended += r.appended;
      if (s.code() == StatusCode::kInvalidArgument) {
        ++refused;
        if (first.empty()) first = s.message();
      } else if (!s.ok()) {
        st = s;
        break;
      }
    }
    if (st.code() == StatusCode::kInvalidArgument) {
      st = Status::Ok();
      accepted_ -= std::min(accepted_, refused);
      rejected_ += refused;
      if (first_error_.empty() && refused) first_error_ = "the store refused samples: " + first;
    }
  }
  if (!st.ok()) {
    RollBackDeltas();
    return st;
  }
  out->data_points_accepted = accepted_;
  out->data_points_rejected = rejected_;
  if (rejected_)
    out->message = std::to_string(rejected_) + (rejected_ == 1 ? " data point" : " data points") +
                   " rejected; first: " + first_error_;
  if (!meta_.empty()) {
    std::sort(meta_.begin(), meta_.end(), [](const FamilyMetadata& a, const FamilyMetadata& b) {
      return std::tie(a.family, a.metadata) < std::tie(b.family, b.metadata);
    });
    meta_.erase(std::unique(meta_.begin(), meta_.end()), meta_.end());
    w_->RecordMetadata(meta_);
  }
  return Status::Ok();
}

OtlpMetricsWriter::OtlpMetricsWriter(tsdb::Tsdb* tsdb, MetadataStore* metadata, OtlpMetricsOptions options)
    : tsdb_(tsdb), metadata_(metadata), options_(options), last_sweep_(std::chrono::steady_clock::now()) {}

Status OtlpMetricsWriter::Write(const MetricsRequest& request, MetricsWriteResult* out) {
  *out = {};
  {
    // Forget idle delta streams (at most once a minute).
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(delta_mu_);
    if (now - last_sweep_ >= std::chrono::minutes(1) || delta_.size() >= options_.max_delta_streams) {
      last_sweep_ = now;
      std::erase_if(delta_, [&](const auto& kv) { return now - kv.second.touched >= options_.delta_stale; });
    }
  }
  MetricsRequestMapper mapper(this);
  return mapper.Run(request, out);
}

size_t OtlpMetricsWriter::delta_streams() const {
  std::lock_guard lock(delta_mu_);
  return delta_.size();
}

void OtlpMetricsWriter::RecordMetadata(const std::vector<FamilyMetadata>& entries) {
  auto less = [](const FamilyMetadata& a, const FamilyMetadata& b) {
    return std::tie(a.family, a.metadata) < std::tie(b.family, b.metadata);
  };
  std::lock_guard lock(meta_mu_);
  bool changed = false;
  for (const FamilyMetadata& e : entries) {
    auto it = std::lower_bound(meta_entries_.begin(), meta_entries_.end(), e, less);
    if (it != meta_entries_.end() && *it == e) continue;
    if (meta_entries_.size() >= options_.max_metadata_entries) break;
    meta_entries_.insert(it, e);
    changed = true;
  }
  if (changed) metadata_->ReplaceSource("otlp", meta_entries_);
}

}  // namespace perfwatch::ingest::otlp
