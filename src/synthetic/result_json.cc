#include "synthetic/result_json.h"

#include <cmath>

#include "common/json_writer.h"

namespace perfwatch::synthetic {
namespace {

void Key(std::string& out, std::string_view k) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, k);
  out += ':';
}

void Num(std::string& out, std::string_view k, double v) {
  Key(out, k);
  if (std::isfinite(v)) AppendJsonNumber(out, v);
  else out += "null";
}

void Str(std::string& out, std::string_view k, std::string_view v) {
  Key(out, k);
  AppendJsonString(out, v);
}

void Bool(std::string& out, std::string_view k, bool v) {
  Key(out, k);
  out += v ? "true" : "false";
}

Status TypeError(std::string_view what) { return InvalidArgument("check result: \"" + std::string(what) + "\" has the wrong type"); }

double GetNum(simdjson::dom::object o, std::string_view k, bool* ok) {
  simdjson::dom::element e;
  if (o[k].get(e)) return 0;
  if (e.is_null()) return NAN;
  double v = 0;
  if (e.get(v)) *ok = false;
  return v;
}

std::string GetStr(simdjson::dom::object o, std::string_view k, bool* ok) {
  simdjson::dom::element e;
  if (o[k].get(e)) return "";
  std::string_view v;
  if (e.get(v)) *ok = false;
  return std::string(v);
}

bool GetBool(simdjson::dom::object o, std::string_view k, bool* ok) {
  simdjson::dom::element e;
  if (o[k].get(e)) return false;
  bool v = false;
  if (e.get(v)) *ok = false;
  return v;
}

}  // namespace

void AppendCheckResultJson(std::string& out, const CheckResult& r, bool full) {
  out += '{';
  Num(out, "time", static_cast<double>(r.time_ms) / 1000.0);
  Bool(out, "success", r.success);
  Num(out, "duration", r.duration_s);
  Str(out, "error", r.error);
  Num(out, "failed_assertion", r.failed_assertion);
  Bool(out, "retried", r.retried);
  if (r.status_code != 0 || r.vitals.empty()) {
    Num(out, "status_code", r.status_code);
    Key(out, "phases");
    out += '{';
    Num(out, "resolve", r.phases.resolve);
    Num(out, "connect", r.phases.connect);
    Num(out, "tls", r.phases.tls);
    Num(out, "processing", r.phases.processing);
    Num(out, "transfer", r.phases.transfer);
    out += '}';
    Num(out, "redirects", r.redirects);
    Num(out, "http_version", r.http_version);
    Num(out, "cert_expiry", r.earliest_cert_expiry);
  }
  if (!r.vitals.empty()) {
    Key(out, "vitals");
    out += '{';
    for (const auto& [k, v] : r.vitals) Num(out, k, v);
    out += '}';
  }
  if (!r.steps.empty()) {
    Key(out, "steps");
    out += '[';
    for (size_t i = 0; i < r.steps.size(); ++i) {
      if (i) out += ',';
      out += '{';
      Str(out, "name", r.steps[i].name);
      Bool(out, "ok", r.steps[i].ok);
      Num(out, "duration", r.steps[i].duration_s);
      Str(out, "error", r.steps[i].error);
      out += '}';
    }
    out += ']';
  }
  if (full) {
    if (r.response) {
      Key(out, "response");
      out += '{';
      Num(out, "status", r.response->status);
      Key(out, "headers");
      out += '[';
      for (size_t i = 0; i < r.response->headers.size(); ++i) {
        if (i) out += ',';
        out += '[';
        AppendJsonString(out, r.response->headers[i].first);
        out += ',';
        AppendJsonString(out, r.response->headers[i].second);
        out += ']';
      }
      out += ']';
      Str(out, "body", r.response->body_prefix);
      out += '}';
    }
    if (!r.console_errors.empty()) {
      Key(out, "console_errors");
      out += '[';
      for (size_t i = 0; i < r.console_errors.size(); ++i) {
        if (i) out += ',';
        AppendJsonString(out, r.console_errors[i]);
      }
      out += ']';
    }
    if (!r.resources_json.empty()) Str(out, "resources", r.resources_json);
  }
  out += '}';
}

Result<CheckResult> ParseCheckResultJson(simdjson::dom::element e) {
  simdjson::dom::object o;
  if (e.get(o)) return InvalidArgument("check result: expected an object");
  CheckResult r;
  bool ok = true;
  const double t = GetNum(o, "time", &ok);
  if (!std::isfinite(t) || std::fabs(t) > 1e13) return TypeError("time");
  r.time_ms = std::llround(t * 1000);
  r.success = GetBool(o, "success", &ok);
  r.duration_s = GetNum(o, "duration", &ok);
  r.error = GetStr(o, "error", &ok);
  const double fa = GetNum(o, "failed_assertion", &ok);
  r.failed_assertion = std::isfinite(fa) && std::fabs(fa) < 1e6 ? static_cast<int>(fa) : -1;
  r.retried = GetBool(o, "retried", &ok);
  auto small_int = [](double v) { return std::isfinite(v) && std::fabs(v) < 1e9 ? static_cast<int>(v) : 0; };
  r.status_code = small_int(GetNum(o, "status_code", &ok));
  r.redirects = small_int(GetNum(o, "redirects", &ok));
  r.http_version = small_int(GetNum(o, "http_version", &ok));
  r.earliest_cert_expiry = GetNum(o, "cert_expiry", &ok);
  if (!std::isfinite(r.earliest_cert_expiry)) r.earliest_cert_expiry = 0;
  if (!ok) return TypeError("a scalar member");
  simdjson::dom::object ph;
  if (!o["phases"].get(ph)) {
    r.phases.resolve = GetNum(ph, "resolve", &ok);
    r.phases.connect = GetNum(ph, "connect", &ok);
    r.phases.tls = GetNum(ph, "tls", &ok);
    r.phases.processing = GetNum(ph, "processing", &ok);
    r.phases.transfer = GetNum(ph, "transfer", &ok);
    if (!ok) return TypeError("phases");
  }
  simdjson::dom::object vitals;
  if (!o["vitals"].get(vitals)) {
    for (auto [k, v] : vitals) {
      double d = 0;
      if (v.get(d)) return TypeError("vitals");
      r.vitals[std::string(k)] = d;
    }
  }
  simdjson::dom::array steps;
  if (!o["steps"].get(steps)) {
    for (simdjson::dom::element s : steps) {
      simdjson::dom::object so;
      if (s.get(so)) return TypeError("steps");
      StepResult sr;
      sr.name = GetStr(so, "name", &ok);
      sr.ok = GetBool(so, "ok", &ok);
      sr.duration_s = GetNum(so, "duration", &ok);
      sr.error = GetStr(so, "error", &ok);
      if (!ok) return TypeError("steps");
      r.steps.push_back(std::move(sr));
    }
  }
  simdjson::dom::object resp;
  if (!o["response"].get(resp)) {
    ResponseSnapshot snap;
    snap.status = small_int(GetNum(resp, "status", &ok));
    snap.body_prefix = GetStr(resp, "body", &ok);
    simdjson::dom::array hs;
    if (!resp["headers"].get(hs)) {
      for (simdjson::dom::element h : hs) {
        simdjson::dom::array pair;
        std::string_view k, v;
        if (h.get(pair) || pair.size() != 2 || pair.at(0).get(k) || pair.at(1).get(v)) return TypeError("response.headers");
        snap.headers.emplace_back(std::string(k), std::string(v));
      }
    }
    if (!ok) return TypeError("response");
    r.response = std::move(snap);
  }
  simdjson::dom::array ce;
  if (!o["console_errors"].get(ce)) {
    for (simdjson::dom::element c : ce) {
      std::string_view s;
      if (c.get(s)) return TypeError("console_errors");
      r.console_errors.emplace_back(s);
    }
  }
  r.resources_json = GetStr(o, "resources", &ok);
  if (!ok) return TypeError("resources");
  return r;
}

}  // namespace perfwatch::synthetic
