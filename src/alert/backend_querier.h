#pragma once
// Reading from `query.backend` (docs/scale-out.md "Queries from an external store"), as
// `vmalert -datasource.url` does:
//  - QueryBackendClient: form POSTs to the backend's Prometheus HTTP API over the shared
//    notification client (alert/http_post.h: http/https, one deadline, TLS settings),
//    with the configured Authorization and headers; whole answers up to
//    max_response_bytes. Counts requests in perfwatch_query_backend_requests_total
//    {outcome="success|error|unreachable"}.
//  - BackendRuleQuerier: the RuleQuerier rules, SLOs and the health score use: the
//    expression's text goes to /api/v1/query with `time=`; a vector or scalar answer is
//    the result, matrix and string answers are "rule result is not a vector or scalar"
//    (as EngineRuleQuerier), error answers and unreachable backends are the rule's error
//    ("query backend: ..."), so they show as the rule's health and lastError and in
//    perfwatch_rule_evaluation_failures_total like any evaluation error.
// Thread safety: both are thread-safe (each call uses its own connection).
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/http_post.h"
#include "alert/rules.h"
#include "common/config_http_client.h"
#include "common/metrics.h"
#include "query/backend_proxy.h"

namespace perfwatch::alert {

class QueryBackendClient {
 public:
  // Checks the URL, reads the password / credentials files and builds the TLS context.
  // `metrics` may be null.
  static Result<std::unique_ptr<QueryBackendClient>> Create(const QueryBackendConfig& config,
                                                            MetricsRegistry* metrics);
  QueryBackendClient(const QueryBackendClient&) = delete;
  QueryBackendClient& operator=(const QueryBackendClient&) = delete;

  // POSTs `form` to the backend's `path` (appended to the URL's path).
  query::BackendReply Call(std::string_view path, std::string_view form) const;
  // Makes calls in flight, and later ones, give up at once ("cancelled").
  void Cancel() { cancel_.store(true); }
  // A BackendCall bound to this client (which must outlive it).
  query::BackendCall AsCall() const {
    return [this](std::string_view path, std::string_view form) { return Call(path, form); };
  }
  const std::string& url() const { return config_.url; }

 private:
  QueryBackendClient() = default;

  QueryBackendConfig config_;
  HttpUrl base_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::shared_ptr<http::TlsContext> tls_;
  Counter* success_ = nullptr;
  Counter* error_ = nullptr;
  Counter* unreachable_ = nullptr;
  std::atomic<bool> cancel_{false};
};

// An instant query answer as rule samples (shared with the fuzz target and tests).
Result<std::vector<QuerySample>> RuleSamplesFromAnswer(const query::BackendReply& reply);

class BackendRuleQuerier final : public RuleQuerier {
 public:
  explicit BackendRuleQuerier(query::BackendCall call) : call_(std::move(call)) {}
  Result<std::vector<QuerySample>> Query(const query::promql::Expr& expr,
                                         int64_t ts_ms) const override;
  Result<std::vector<QuerySample>> QueryText(std::string_view expr, int64_t ts_ms) const override;

 private:
  query::BackendCall call_;
};

}  // namespace perfwatch::alert
