#include "tsdb/labels.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/hash.h"

namespace perfwatch::tsdb {

Labels Labels::FromViews(std::span<const LabelView> views) {
  Labels out;
  out.labels_.reserve(views.size());
  for (const LabelView& l : views) {
    if (l.value.empty()) continue;
    out.labels_.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  std::sort(out.labels_.begin(), out.labels_.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  return out;
}

Labels Labels::FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<LabelView> views;
  for (const auto& [n, v] : pairs) views.push_back(LabelView{n, v});
  return FromViews(views);
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

std::vector<LabelView> Labels::Views() const {
  std::vector<LabelView> out;
  out.reserve(labels_.size());
  for (const Label& l : labels_) out.push_back(LabelView{l.name, l.value});
  return out;
}

std::string Labels::ToString() const { return LabelsToString(Views()); }

uint64_t HashLabels(std::span<const LabelView> labels) {
  // Two independent multiply-rotate lanes (names, values) so their latency chains overlap,
  // over lengths and 8-byte words, finished with the strong HashMix; the lengths keep
  // {ab="c"} and {a="bc"} apart.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t hn = 0x243F6A8885A308D3ULL ^ labels.size();
  uint64_t hv = 0x13198A2E03707344ULL;
  auto absorb = [](uint64_t& h, std::string_view s) {
    h = (std::rotl(h, 23) ^ s.size()) * kMul;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (std::rotl(h, 23) ^ w) * kMul;
    }
    if (i < s.size()) {
      uint64_t w = 0;
      std::memcpy(&w, s.data() + i, s.size() - i);
      h = (std::rotl(h, 23) ^ w) * kMul;
    }
  };
  for (const LabelView& l : labels) {
    absorb(hn, l.name);
    absorb(hv, l.value);
  }
  return HashMix(hn, hv ^ 0x2545F4914F6CDD1DULL);
}

int CompareLabels(std::span<const LabelView> a, std::span<const LabelView> b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].name.compare(b[i].name); c != 0) return c;
    if (int c = a[i].value.compare(b[i].value); c != 0) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool LabelsEqual(std::span<const LabelView> a, std::span<const LabelView> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string LabelsToString(std::span<const LabelView> labels) {
  std::string out;
  std::string_view name;
  for (const LabelView& l : labels) {
    if (l.name == kMetricNameLabel) name = l.value;
  }
  out.append(name);
  out.push_back('{');
  bool first = true;
  for (const LabelView& l : labels) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out += ", ";
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendQuoted(out, l.value);
  }
  out.push_back('}');
  return out;
}

size_t SymbolTable::Hash::operator()(std::string_view s) const { return HashBytes(s); }

std::string_view SymbolTable::Intern(std::string_view s) {
  std::lock_guard lock(mu_);
  auto it = strings_.find(s);
  if (it != strings_.end()) return *it;
  bytes_ += s.size();
  return *strings_.emplace(s).first;  // node-based: the string never moves
}

size_t SymbolTable::size() const {
  std::lock_guard lock(mu_);
  return strings_.size();
}

size_t SymbolTable::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace perfwatch::tsdb
