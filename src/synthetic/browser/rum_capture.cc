#include "synthetic/browser/rum_capture.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace perfwatch::synthetic::browser {
namespace {

constexpr size_t kMaxPayloadBytes = 1u << 20;  // rum.js sends at most 60 KiB per body
constexpr size_t kMaxPageViews = 100;

bool ParseDouble(std::string_view s, double* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

bool AddRumPayload(std::string_view payload, std::vector<CapturedPageView>* views, std::string* why) {
  if (payload.size() > kMaxPayloadBytes) {
    *why = "beacon payload too large";
    return false;
  }
  const size_t nl = payload.find('\n');
  double origin = 0;
  if (nl == std::string_view::npos || !ParseDouble(payload.substr(0, nl), &origin)) {
    *why = "beacon payload without a time origin";
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string body(payload.substr(nl + 1));
  if (auto err = parser.parse(body).get(root)) {
    *why = std::string("beacon body is not JSON: ") + simdjson::error_message(err);
    return false;
  }
  std::vector<simdjson::dom::element> beacons;
  simdjson::dom::array list;
  if (!root.get_array().get(list)) {
    for (simdjson::dom::element e : list) beacons.push_back(e);
  } else if (root.is_object()) {
    beacons.push_back(root);
  } else {
    *why = "beacon body is neither an object nor an array";
    return false;
  }
  CapturedPageView* view = nullptr;
  for (auto& v : *views) {
    if (v.time_origin == origin) view = &v;
  }
  if (!view) {
    if (views->size() >= kMaxPageViews) {
      *why = "too many page views";
      return false;
    }
    views->push_back(CapturedPageView{});
    view = &views->back();
    view->time_origin = origin;
  }
  for (const simdjson::dom::element& b : beacons) {
    std::string_view type;
    if (!b.is_object() || b["type"].get_string().get(type)) continue;
    if (type == "vital") {
      std::string_view name;
      double value = 0;
      if (b["name"].get_string().get(name) || b["value"].get_double().get(value) || !std::isfinite(value)) continue;
      if (name.empty() || name.size() > 16) continue;
      view->vitals[Lower(name)] = value;
    } else if (type == "slow-resources") {
      simdjson::dom::array list;
      if (b["resources"].get_array().get(list)) continue;
      std::string json = simdjson::minify(list);
      if (b["summary"].error() == simdjson::SUCCESS) {
        view->summary_resources = std::move(json);
      } else if (view->resources.size() < 1000) {
        view->resources.push_back(std::move(json));
      }
    }
  }
  return true;
}

void FillFromRum(const std::vector<CapturedPageView>& views, CheckResult* result) {
  if (views.empty()) return;
  const CapturedPageView* first = &views.front();
  for (const auto& v : views) {
    if (v.time_origin < first->time_origin) first = &v;
  }
  for (const char* name : {"lcp", "fcp", "ttfb", "cls"}) {
    auto it = first->vitals.find(name);
    if (it != first->vitals.end()) result->vitals[name] = it->second;
  }
  std::vector<const std::string*> lists;
  if (!first->summary_resources.empty()) {
    lists.push_back(&first->summary_resources);
  } else {
    for (const auto& r : first->resources) lists.push_back(&r);
  }
  std::string out = "[";
  for (const std::string* l : lists) {
    if (l->size() <= 2) continue;  // "[]"
    if (out.size() > 1) out += ',';
    out.append(*l, 1, l->size() - 2);
  }
  out += ']';
  result->resources_json = lists.empty() ? "" : out;
}

}  // namespace perfwatch::synthetic::browser
