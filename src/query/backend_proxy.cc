#include "query/backend_proxy.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>

namespace perfwatch::query {
namespace {

bool IContains(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// A one-line excerpt of a body for an error message.
std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "/api/v1/label/<name>/values" with a name that cannot step out of that path on the
// backend (letters, digits, '_', '-', '.', '%'-escapes; not "." or "..").
bool LabelValuesPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/label/", kSuffix = "/values";
  if (path.size() <= kPrefix.size() + kSuffix.size() || path.substr(0, kPrefix.size()) != kPrefix ||
      path.substr(path.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  std::string_view name =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == '%';
  });
}

}  // namespace

std::string ForwardedForm(const http::Request& req) {
  std::string form(req.query);
  if (req.method == "POST" &&
      IContains(req.Header("Content-Type"), "application/x-www-form-urlencoded") &&
      !req.body.empty()) {
    if (!form.empty()) form.push_back('&');
    form.append(req.body);
  }
  return form;
}

void WriteBackendReply(const BackendReply& reply, http::Response& res) {
  if (reply.status == 0) {
    return http::WriteApiError(res, 503, "unavailable", "query backend: " + reply.error);
  }
  if (reply.truncated) {
    return http::WriteApiError(
        res, 503, "unavailable",
        "query backend: the answer is larger than query.backend.max_response_bytes");
  }
  if (!IContains(reply.content_type, "json")) {
    return http::WriteApiError(res, 503, "unavailable",
                               "query backend answered " + std::to_string(reply.status) +
                                   " without JSON: " + Excerpt(reply.body));
  }
  res.status = reply.status;
  res.content_type = "application/json";
  res.body = reply.body;
}

void RegisterBackendQueryApi(http::Router& router, BackendCall call) {
  auto shared = std::make_shared<const BackendCall>(std::move(call));
  auto forward = [shared](const http::Request& req, http::Response& res) {
    WriteBackendReply((*shared)(req.path, ForwardedForm(req)), res);
  };
  const http::RouteOptions kQueryClass{.scope = http::Scope::kRead,
                                       .route_class = http::RouteClass::kQuery};
  for (const char* method : {"GET", "POST"}) {
    for (const char* path :
         {"/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels"}) {
      router.Handle(method, path, forward, kQueryClass);
    }
  }
  auto label_values = [shared](const http::Request& req, http::Response& res) {
    if (!LabelValuesPath(req.path)) {
      return http::WriteApiError(res, 404, "not_found", "expected /api/v1/label/<name>/values");
    }
    WriteBackendReply((*shared)(req.path, ForwardedForm(req)), res);
  };
  router.HandlePrefix("GET", "/api/v1/label/", label_values,
                      {.metric_label = "/api/v1/label/:name/values",
                       .scope = http::Scope::kRead,
                       .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::query
