#include "alert/backend_querier.h"

#include <algorithm>

#include "alert/rule_querier.h"  // RuleResult
#include "http/blocking_client.h"  // UrlEncode
#include "query/backend_answer.h"
#include "query/promql_api.h"  // AppendPromTimestamp

namespace perfwatch::alert {

Result<std::unique_ptr<QueryBackendClient>> QueryBackendClient::Create(
    const QueryBackendConfig& config, MetricsRegistry* metrics) {
  std::unique_ptr<QueryBackendClient> c(new QueryBackendClient());
  c->config_ = config;
  auto url = ParseHttpUrl(config.url);
  if (!url.ok()) return url.status().WithContext("query.backend.url");
  c->base_ = std::move(url).value();
  while (!c->base_.target.empty() && c->base_.target.back() == '/') c->base_.target.pop_back();
  auto headers = HttpClientAuthHeaders(config.auth);
  if (!headers.ok()) return headers.status().WithContext("query.backend");
  c->headers_ = std::move(headers).value();
  c->headers_.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  c->headers_.emplace_back("Accept", "application/json");
  c->headers_.emplace_back("User-Agent", "perfwatch");
  if (c->base_.https) {
    HttpClientConfig tls;
    tls.tls_ca_file = config.auth.tls_ca_file;
    tls.tls_cert_file = config.auth.tls_cert_file;
    tls.tls_key_file = config.auth.tls_key_file;
    tls.tls_insecure_skip_verify = config.auth.tls_insecure_skip_verify;
    auto ctx = ClientTlsContextFor(tls);
    if (!ctx.ok()) return ctx.status().WithContext("query.backend");
    c->tls_ = std::move(ctx).value();
  }
  if (metrics) {
    constexpr std::string_view kName = "perfwatch_query_backend_requests_total";
    constexpr std::string_view kHelp =
        "Requests to query.backend by outcome (success: an answer; error: an HTTP error status; "
        "unreachable: no answer, a timeout or an answer too large).";
    c->success_ = metrics->GetCounter(kName, kHelp, {{"outcome", "success"}});
    c->error_ = metrics->GetCounter(kName, kHelp, {{"outcome", "error"}});
    c->unreachable_ = metrics->GetCounter(kName, kHelp, {{"outcome", "unreachable"}});
  }
  return c;
}

query::BackendReply QueryBackendClient::Call(std::string_view path, std::string_view form) const {
  HttpPostRequest req;
  req.url = base_;
  req.url.target = (base_.target == "/" ? std::string() : base_.target) + std::string(path);
  req.headers = headers_;
  req.body = form;
  req.timeout_ms = config_.timeout_ms;
  req.cancel = &cancel_;
  req.tls = tls_;
  req.tls_server_name = config_.auth.tls_server_name;
  req.max_body_bytes = config_.max_response_bytes;
  HttpPostResult res = HttpPost(req);
  query::BackendReply out;
  out.status = res.status;
  out.error = std::move(res.error);
  out.body = std::move(res.body);
  out.content_type = std::move(res.content_type);
  out.truncated = res.truncated;
  Counter* outcome = out.status == 0 || out.truncated ? unreachable_
                     : out.status >= 400              ? error_
                                                      : success_;
  if (outcome) outcome->Inc();
  return out;
}

Result<std::vector<QuerySample>> RuleSamplesFromAnswer(const query::BackendReply& reply) {
  if (reply.status == 0) return Unavailable("query backend: " + reply.error);
  if (reply.truncated)
    return Unavailable("query backend: the answer is larger than query.backend.max_response_bytes");
  auto value = query::ParseQueryAnswer(reply.body);
  if (!value.ok()) {
    std::string msg = "query backend";
    if (reply.status != 200) msg += " answered " + std::to_string(reply.status);
    return Status(value.status().code(), msg + ": " + value.status().message());
  }
  return RuleResult(*value);
}

Result<std::vector<QuerySample>> BackendRuleQuerier::Query(const query::promql::Expr& expr,
                                                           int64_t ts_ms) const {
  return QueryText(expr.ToString(), ts_ms);
}

Result<std::vector<QuerySample>> BackendRuleQuerier::QueryText(std::string_view expr,
                                                               int64_t ts_ms) const {
  std::string form = "query=" + http::UrlEncode(expr) + "&time=";
  query::AppendPromTimestamp(form, ts_ms);
  return RuleSamplesFromAnswer(call_("/api/v1/query", form));
}

}  // namespace perfwatch::alert
