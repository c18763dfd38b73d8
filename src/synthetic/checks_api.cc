#include "synthetic/checks_api.h"

#include <cmath>
#include <optional>

#include "common/json_writer.h"
#include "common/time.h"
#include "synthetic/check_config.h"
#include "synthetic/result_json.h"

namespace perfwatch::synthetic {
namespace {

void WriteData(http::Response& res, const std::string& data) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = "{\"status\":\"success\",\"data\":" + data + "}";
}

void Num(std::string& out, double v) {
  if (std::isfinite(v)) AppendJsonNumber(out, v);
  else out += "null";
}

// An error of the scheduler as its HTTP answer ("conflict:" messages are 409).
void WriteStatusError(http::Response& res, const Status& st) {
  if (st.code() == StatusCode::kNotFound) return http::WriteApiError(res, 404, "not_found", st.message());
  if (st.code() == StatusCode::kInvalidArgument) {
    if (st.message().rfind("conflict: ", 0) == 0) {
      return http::WriteApiError(res, 409, "conflict", st.message().substr(10));
    }
    return http::WriteApiError(res, 400, "bad_data", st.message());
  }
  http::WriteApiError(res, 503, "unavailable", st.message());
}

std::string_view Rest(const http::Request& req, std::string_view prefix) { return req.path.substr(prefix.size()); }

// {"name":"<name>"}: the answer of POST and DELETE.
void WriteName(http::Response& res, std::string_view name) {
  std::string data = "{\"name\":";
  AppendJsonString(data, name);
  WriteData(res, data + "}");
}

}  // namespace

std::string CheckViewJson(const CheckView& v, int64_t now_ms, bool details) {
  std::string out = "{\"name\":";
  AppendJsonString(out, v.spec.name);
  out += ",\"kind\":";
  out += v.spec.kind == CheckSpec::Kind::kHttp ? "\"http\"" : "\"browser\"";
  out += ",\"interval\":";
  AppendJsonString(out, FormatPromDuration(v.spec.interval_ms));
  out += ",\"source\":";
  out += v.spec.from_api ? "\"api\"" : "\"config\"";
  out += ",\"target\":";
  AppendJsonString(out, v.spec.kind == CheckSpec::Kind::kHttp ? v.spec.http.url : v.spec.browser.url);
  out += ",\"state\":";
  AppendJsonString(out, v.state);
  const CheckResult* last = v.history.empty() ? nullptr : &v.history.back();
  out += ",\"last_run\":";
  Num(out, last ? static_cast<double>(last->time_ms) / 1000.0 : NAN);
  out += ",\"last_duration\":";
  Num(out, last ? last->duration_s : NAN);
  out += ",\"last_error\":";
  AppendJsonString(out, last ? last->error : "");
  out += ",\"uptime_24h\":";
  Num(out, v.Uptime(now_ms, 1));
  out += ",\"uptime_90d\":";
  Num(out, v.Uptime(now_ms, 90));
  out += ",\"spec\":" + CheckSpecToJson(v.spec);
  if (details) {
    out += ",\"history\":[";
    for (size_t i = 0; i < v.history.size(); ++i) {
      if (i) out += ',';
      AppendCheckResultJson(out, v.history[i], false);
    }
    out += "],\"failures\":[";
    for (size_t i = 0; i < v.failures.size(); ++i) {
      if (i) out += ',';
      AppendCheckResultJson(out, v.failures[i].result, true);
      out.pop_back();
      out += ",\"screenshot\":";
      if (v.failures[i].has_screenshot) {
        AppendJsonString(out, "/api/v1/checks/" + v.spec.name +
                                  "/screenshot?time=" + std::to_string(v.failures[i].result.time_ms));
      } else {
        out += "null";
      }
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

void RegisterChecksApi(http::Router& router, ChecksApiSources src) {
  Scheduler* sched = src.scheduler;
  http::RouteOptions read;
  read.scope = http::Scope::kRead;
  read.route_class = http::RouteClass::kQuery;
  http::RouteOptions admin;  // scope admin, class other

  router.Handle(
      "GET", "/api/v1/checks",
      [sched](const http::Request&, http::Response& res) {
        const int64_t now = NowMs();
        std::string data = "[";
        for (const CheckView& v : sched->List(false)) {
          if (data.size() > 1) data += ',';
          data += CheckViewJson(v, now, false);
        }
        WriteData(res, data + "]");
      },
      read);

  router.Handle(
      "POST", "/api/v1/checks",
      [sched](const http::Request& req, http::Response& res) {
        auto spec = ParseCheckText(req.body);
        if (!spec.ok()) return http::WriteApiError(res, 400, "bad_data", spec.status().message());
        const std::string name = spec->name;
        if (Status st = sched->Put(std::move(spec).value()); !st.ok()) return WriteStatusError(res, st);
        WriteName(res, name);
      },
      admin);

  http::RouteOptions detail = read;
  detail.metric_label = "/api/v1/checks/{name}";
  router.HandlePrefix(
      "GET", "/api/v1/checks/",
      [sched](const http::Request& req, http::Response& res) {
        std::string_view rest = Rest(req, "/api/v1/checks/");
        bool screenshot = false;
        if (rest.ends_with("/screenshot")) {
          rest.remove_suffix(std::string_view("/screenshot").size());
          screenshot = true;
        }
        if (rest.empty() || !ValidCheckName(rest)) {
          return http::WriteApiError(res, 404, "not_found", "unknown path " + std::string(req.path));
        }
        const std::string name(rest);
        if (screenshot) {
          auto t = req.Param("time");
          char* end = nullptr;
          const long long ms = t ? std::strtoll(t->c_str(), &end, 10) : 0;
          if (!t || t->empty() || *end != '\0') {
            return http::WriteApiError(res, 400, "bad_data", "invalid parameter \"time\": want the failure's time in unix ms");
          }
          auto png = sched->Screenshot(name, ms);
          if (!png.ok()) return WriteStatusError(res, png.status());
          res.status = 200;
          res.content_type = "image/png";
          res.body = std::move(png).value();
          return;
        }
        auto v = sched->Get(name);
        if (!v) return http::WriteApiError(res, 404, "not_found", "no check named \"" + name + "\"");
        WriteData(res, CheckViewJson(*v, NowMs(), true));
      },
      detail);

  http::RouteOptions admin_detail = admin;
  admin_detail.metric_label = "/api/v1/checks/{name}";
  router.HandlePrefix(
      "DELETE", "/api/v1/checks/",
      [sched](const http::Request& req, http::Response& res) {
        const std::string name(Rest(req, "/api/v1/checks/"));
        if (!ValidCheckName(name)) return http::WriteApiError(res, 404, "not_found", "unknown path " + std::string(req.path));
        if (Status st = sched->Delete(name); !st.ok()) return WriteStatusError(res, st);
        WriteName(res, name);
      },
      admin_detail);

  http::RouteOptions run = admin;
  run.metric_label = "/api/v1/checks/{name}/run";
  router.HandlePrefix(
      "POST", "/api/v1/checks/",
      [sched](const http::Request& req, http::Response& res) {
        std::string_view rest = Rest(req, "/api/v1/checks/");
        if (!rest.ends_with("/run")) return http::WriteApiError(res, 404, "not_found", "unknown path " + std::string(req.path));
        rest.remove_suffix(4);
        const std::string name(rest);
        if (!ValidCheckName(name)) return http::WriteApiError(res, 404, "not_found", "unknown path " + std::string(req.path));
        auto r = sched->RunNow(name);
        if (!r.ok()) return WriteStatusError(res, r.status());
        std::string data;
        AppendCheckResultJson(data, *r, true);
        WriteData(res, data);
      },
      run);

  // The status page: public (no token), like Uptime Kuma's.
  // A copy: a reload may replace the pages (Scheduler::ApplyConfig).
  auto page_of = [sched](std::string_view name) -> std::optional<StatusPageSpec> {
    const auto pages = sched->config().status_pages;
    if (pages.empty())
      return name == "default" ? std::optional<StatusPageSpec>(StatusPageSpec{}) : std::nullopt;
    for (const StatusPageSpec& p : pages) {
      if (p.name == name) return p;
    }
    return std::nullopt;
  };
  auto build = [sched, firing = src.firing](const StatusPageSpec& page) {
    return BuildStatusPage(page, sched->List(false), firing ? firing() : std::vector<Incident>{}, NowMs());
  };
  http::RouteOptions pub;
  pub.scope = http::Scope::kPublic;
  http::RouteOptions pub_json = pub;
  pub_json.metric_label = "/api/v1/status-page/{page}";
  router.HandlePrefix(
      "GET", "/api/v1/status-page/",
      [page_of, build](const http::Request& req, http::Response& res) {
        const std::string_view name = Rest(req, "/api/v1/status-page/");
        const std::optional<StatusPageSpec> page = page_of(name);
        if (!page) return http::WriteApiError(res, 404, "not_found", "no status page named \"" + std::string(name) + "\"");
        WriteData(res, StatusPageJson(build(*page)));
      },
      pub_json);
  auto html = [page_of, build](std::string_view name, http::Response& res) {
    const std::optional<StatusPageSpec> page = page_of(name);
    if (!page) {
      res.status = 404;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "no status page named \"" + std::string(name) + "\"\n";
      return;
    }
    res.status = 200;
    res.content_type = "text/html; charset=utf-8";
    res.headers.emplace_back("Cache-Control", "public, max-age=30");
    res.body = StatusPageHtml(build(*page));
  };
  router.Handle(
      "GET", "/status",
      [html, sched](const http::Request&, http::Response& res) {
        const auto pages = sched->config().status_pages;
        html(pages.empty() ? "default" : pages.front().name, res);
      },
      pub);
  http::RouteOptions pub_page = pub;
  pub_page.metric_label = "/status/{page}";
  router.HandlePrefix(
      "GET", "/status/", [html](const http::Request& req, http::Response& res) { html(Rest(req, "/status/"), res); },
      pub_page);
}

}  // namespace perfwatch::synthetic
