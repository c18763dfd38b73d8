#pragma once
// Label sets: sorted (name, value) pairs identifying a series, plus the symbol table that
// interns label strings for the head.
//
// LabelView borrows; Labels owns. A valid label set has non-empty, unique names sorted in
// byte order; an empty value means "label absent" (Prometheus semantics), so such pairs are
// dropped before a series is created.
//
// Thread safety: Labels and the free functions are plain values / pure functions.
// SymbolTable is thread-safe (one mutex; it is only used on the series-creation path).
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace perfwatch::tsdb {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct LabelView {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const LabelView&, const LabelView&) = default;
};

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};

// An owned, sorted label set.
class Labels {
 public:
  Labels() = default;
  // Copies `views`, sorting by name. Pairs with empty values are dropped.
  static Labels FromViews(std::span<const LabelView> views);
  // Convenience for tests: {{"__name__","up"},{"job","x"}}.
  static Labels FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }
  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  std::vector<LabelView> Views() const;
  // `name{a="x", b="y"}` (Prometheus' notation; values escaped).
  std::string ToString() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  std::vector<Label> labels_;
};

// Hash of a label set (sorted views). Equal sets hash equally; never persisted.
uint64_t HashLabels(std::span<const LabelView> labels);
// Byte-wise lexicographic order of two sorted label sets (name, then value, pair by pair).
int CompareLabels(std::span<const LabelView> a, std::span<const LabelView> b);
bool LabelsEqual(std::span<const LabelView> a, std::span<const LabelView> b);
// `name{a="x"}` rendering of views.
std::string LabelsToString(std::span<const LabelView> labels);
// Appends `s` as a double-quoted string with Prometheus/Go escaping of \ " and newline.
void AppendQuoted(std::string& out, std::string_view s);

// Interns label strings so each distinct name or value is stored once. Returned views stay
// valid for the table's lifetime.
class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  std::string_view Intern(std::string_view s);
  size_t size() const;
  // Bytes of string data held (excluding container overhead).
  size_t bytes() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  mutable std::mutex mu_;
  std::unordered_set<std::string, Hash, std::equal_to<>> strings_;  // guarded by mu_
  size_t bytes_ = 0;                                                   // guarded by mu_
};

}  // namespace perfwatch::tsdb
