#include "ingest/metadata_api.h"

#include <charconv>

#include "common/json_writer.h"

namespace perfwatch::ingest {
namespace {

// Parses an integer limit: absent -> 0 (no limit); negative -> 0.
bool ParseLimit(const http::Request& req, std::string_view name, size_t* out) {
  auto v = req.Param(name);
  *out = 0;
  if (!v || v->empty()) return true;
  long long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) return false;
  *out = n > 0 ? static_cast<size_t>(n) : 0;
  return true;
}

}  // namespace

std::string RenderMetadataJson(const std::map<std::string, std::vector<MetricMetadata>>& data) {
  std::string out = R"({"status":"success","data":{)";
  bool first = true;
  for (const auto& [family, list] : data) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, family);
    out += ":[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      out += R"({"type":)";
      AppendJsonString(out, list[i].type);
      out += R"(,"help":)";
      AppendJsonString(out, list[i].help);
      out += R"(,"unit":)";
      AppendJsonString(out, list[i].unit);
      out += '}';
    }
    out += ']';
  }
  out += "}}";
  return out;
}

void RegisterMetadataApi(http::Router& router, const MetadataStore* store) {
  const http::RouteOptions options{.scope = http::Scope::kRead};
  router.Handle("GET", "/api/v1/metadata", [store](const http::Request& req, http::Response& res) {
    MetadataQuery q;
    if (!ParseLimit(req, "limit", &q.limit)) {
      return http::WriteApiError(res, 400, "bad_data", "limit must be a number");
    }
    if (!ParseLimit(req, "limit_per_metric", &q.limit_per_metric)) {
      return http::WriteApiError(res, 400, "bad_data", "limit_per_metric must be a number");
    }
    q.metric = req.Param("metric").value_or("");
    res.body = RenderMetadataJson(store->Query(q));
  }, options);
}

}  // namespace perfwatch::ingest
