#pragma once
// Test doubles for rule evaluation: a querier answering fixed results per expression and
// a sink recording what reaches the notification pipeline.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "alert/rules.h"
#include "query/promql_parser.h"

namespace perfwatch::alert::testing {

// Answers `expr` (as Prometheus prints it) with the samples set for it; unknown
// expressions answer nothing; expressions set to fail answer their error.
class FakeQuerier final : public RuleQuerier {
 public:
  void Set(const std::string& expr, std::vector<QuerySample> samples) {
    std::lock_guard lock(mu_);
    results_[Canonical(expr)] = std::move(samples);
  }
  void Fail(const std::string& expr, std::string message) {
    std::lock_guard lock(mu_);
    errors_[Canonical(expr)] = std::move(message);
  }
  Result<std::vector<QuerySample>> Query(const query::promql::Expr& expr, int64_t) const override {
    std::lock_guard lock(mu_);
    std::string key = expr.ToString();
    if (auto e = errors_.find(key); e != errors_.end()) return InvalidArgument(e->second);
    auto it = results_.find(key);
    return it == results_.end() ? std::vector<QuerySample>{} : it->second;
  }
  Result<std::vector<QuerySample>> QueryText(std::string_view expr, int64_t ts) const override {
    auto parsed = query::promql::ParseExpr(expr);
    if (!parsed.ok()) return parsed.status();
    return Query(*parsed.value(), ts);
  }

 private:
  static std::string Canonical(const std::string& expr) {
    auto parsed = query::promql::ParseExpr(expr);
    return parsed.ok() ? parsed.value()->ToString() : expr;
  }
  mutable std::mutex mu_;
  std::map<std::string, std::vector<QuerySample>> results_;
  std::map<std::string, std::string> errors_;
};

class RecordingSink final : public AlertSink {
 public:
  void PutAlerts(std::vector<Alert> alerts) override {
    std::lock_guard lock(mu_);
    for (Alert& a : alerts) alerts_.push_back(std::move(a));
  }
  std::vector<Alert> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(alerts_, {});
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return alerts_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Alert> alerts_;
};

inline RuleSpec AlertSpec(std::string name, std::string expr, int64_t for_ms = 0) {
  RuleSpec s;
  s.alert = std::move(name);
  s.expr = std::move(expr);
  s.for_ms = for_ms;
  return s;
}

inline RuleSpec RecordSpec(std::string name, std::string expr) {
  RuleSpec s;
  s.record = std::move(name);
  s.expr = std::move(expr);
  return s;
}

}  // namespace perfwatch::alert::testing
