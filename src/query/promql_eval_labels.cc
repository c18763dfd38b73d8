#include "query/promql_eval_labels.h"

#include <algorithm>

#include "common/hash.h"

namespace perfwatch::query::promql {
namespace {

inline uint64_t HashLabel(uint64_t h, const tsdb::Label& l) {
  h = HashBytes(l.name, h);
  return HashBytes(l.value, h ^ 0xff);
}

bool Contains(std::span<const std::string> names, std::string_view n) {
  for (const std::string& x : names) {
    if (x == n) return true;
  }
  return false;
}

}  // namespace

uint64_t HashOfLabels(const tsdb::Labels& ls) {
  uint64_t h = 0x51ed27a1c0ffee11ULL;
  for (const tsdb::Label& l : ls) h = HashLabel(h, l);
  return h;
}

bool HasMetricName(const tsdb::Labels& ls) { return !ls.Get(tsdb::kMetricNameLabel).empty(); }

tsdb::Labels DropMetricName(const tsdb::Labels& ls) {
  if (!HasMetricName(ls)) return ls;
  std::vector<tsdb::LabelView> views;
  views.reserve(ls.size());
  for (const tsdb::Label& l : ls) {
    if (l.name != tsdb::kMetricNameLabel) views.push_back({l.name, l.value});
  }
  return tsdb::Labels::FromViews(views);
}

uint64_t SignatureOn(const tsdb::Labels& ls, std::span<const std::string> names) {
  uint64_t h = 0x7a3c1b9d5e2f4680ULL;
  for (const tsdb::Label& l : ls) {
    if (Contains(names, l.name)) h = HashLabel(h, l);
  }
  return h;
}

uint64_t SignatureWithout(const tsdb::Labels& ls, std::span<const std::string> names) {
  uint64_t h = 0x7a3c1b9d5e2f4680ULL;
  for (const tsdb::Label& l : ls) {
    if (l.name == tsdb::kMetricNameLabel || Contains(names, l.name)) continue;
    h = HashLabel(h, l);
  }
  return h;
}

tsdb::Labels MatchLabels(const tsdb::Labels& ls, bool on, std::span<const std::string> names) {
  std::vector<tsdb::LabelView> views;
  for (const tsdb::Label& l : ls) {
    bool listed = Contains(names, l.name);
    if (on ? listed : (!listed && l.name != tsdb::kMetricNameLabel)) views.push_back({l.name, l.value});
  }
  return tsdb::Labels::FromViews(views);
}


void LabelsBuilder::Reset(const tsdb::Labels& base) {
  views_.clear();
  for (const tsdb::Label& l : base) views_.push_back({l.name, l.value});
}

void LabelsBuilder::Set(std::string_view name, std::string_view value) {
  for (auto& v : views_) {
    if (v.name == name) {
      v.value = value;  // FromViews drops empty values
      return;
    }
  }
  if (!value.empty()) views_.push_back({name, value});
}

void LabelsBuilder::Del(std::string_view name) {
  std::erase_if(views_, [&](const tsdb::LabelView& v) { return v.name == name; });
}

void LabelsBuilder::Keep(std::span<const std::string> names) {
  std::erase_if(views_, [&](const tsdb::LabelView& v) { return !Contains(names, v.name); });
}

}  // namespace perfwatch::query::promql
