#include "synthetic/status_page.h"

#include <cmath>
#include <map>

#include "common/html.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::synthetic {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int kDays = 90;

void Num(std::string& out, double v) {
  if (std::isfinite(v)) AppendJsonNumber(out, v);
  else out += "null";
}

std::string Html(std::string_view s) { return HtmlEscape(s); }

std::string Pct(double v) {
  if (!std::isfinite(v)) return "no data";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", v * 100);
  return buf;
}

}  // namespace

StatusPageData BuildStatusPage(const StatusPageSpec& page, const std::vector<CheckView>& views,
                               const std::vector<Incident>& firing, int64_t now_ms) {
  StatusPageData d;
  d.name = page.name;
  d.title = page.title;
  d.now_ms = now_ms;
  std::map<std::string, const CheckView*> by_name;
  for (const CheckView& v : views) by_name[v.spec.name] = &v;
  std::vector<const CheckView*> listed;
  if (page.checks.empty()) {
    for (const CheckView& v : views) listed.push_back(&v);
  } else {
    for (const std::string& n : page.checks) {
      if (auto it = by_name.find(n); it != by_name.end()) listed.push_back(it->second);
    }
  }
  const int64_t today = now_ms / kDayMs;
  std::map<std::string, bool> on_page;
  for (const CheckView* v : listed) {
    on_page[v->spec.name] = true;
    StatusCheck c;
    c.name = v->spec.name;
    c.state = v->state;
    c.uptime_90d = v->Uptime(now_ms, kDays);
    std::map<int64_t, const DayCount*> days;
    for (const DayCount& dc : v->days) days[dc.day] = &dc;
    for (int64_t day = today - kDays + 1; day <= today; ++day) {
      auto it = days.find(day);
      const double ratio = it == days.end() || it->second->total == 0
                               ? NAN
                               : static_cast<double>(it->second->up) / static_cast<double>(it->second->total);
      c.days.emplace_back(day * kDayMs, ratio);
    }
    for (const DurationBucket& b : v->buckets) {
      if (b.start_ms < now_ms - kDayMs || b.count == 0) continue;
      c.response_times.emplace_back(b.start_ms, b.sum_s / static_cast<double>(b.count));
    }
    d.checks.push_back(std::move(c));
  }
  for (const Incident& i : firing) {
    if (i.check.empty() || on_page.count(i.check)) d.incidents.push_back(i);
  }
  return d;
}

std::string StatusPageJson(const StatusPageData& d) {
  std::string out = "{\"page\":";
  AppendJsonString(out, d.name);
  out += ",\"title\":";
  AppendJsonString(out, d.title);
  out += ",\"checks\":[";
  for (size_t i = 0; i < d.checks.size(); ++i) {
    const StatusCheck& c = d.checks[i];
    if (i) out += ',';
    out += "{\"name\":";
    AppendJsonString(out, c.name);
    out += ",\"state\":";
    AppendJsonString(out, c.state);
    out += ",\"uptime_90d\":";
    Num(out, c.uptime_90d);
    out += ",\"days\":[";
    for (size_t k = 0; k < c.days.size(); ++k) {
      if (k) out += ',';
      out += "{\"date\":";
      AppendJsonString(out, FormatRfc3339Ms(c.days[k].first).substr(0, 10));
      out += ",\"uptime\":";
      Num(out, c.days[k].second);
      out += '}';
    }
    out += "],\"response_times\":[";
    for (size_t k = 0; k < c.response_times.size(); ++k) {
      if (k) out += ',';
      out += '[';
      AppendJsonNumber(out, static_cast<double>(c.response_times[k].first) / 1000.0);
      out += ',';
      Num(out, c.response_times[k].second);
      out += ']';
    }
    out += "]}";
  }
  out += "],\"incidents\":[";
  for (size_t i = 0; i < d.incidents.size(); ++i) {
    const Incident& inc = d.incidents[i];
    if (i) out += ',';
    out += "{\"alertname\":";
    AppendJsonString(out, inc.alertname);
    out += ",\"summary\":";
    AppendJsonString(out, inc.summary);
    out += ",\"severity\":";
    AppendJsonString(out, inc.severity);
    out += ",\"check\":";
    AppendJsonString(out, inc.check);
    out += ",\"state\":\"firing\",\"since\":";
    AppendJsonString(out, FormatRfc3339Ms(inc.since_ms));
    out += '}';
  }
  out += "]}";
  return out;
}

std::string StatusPageHtml(const StatusPageData& d) {
  size_t down = 0;
  for (const StatusCheck& c : d.checks) down += c.state == "down" ? 1 : 0;
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"60\"><title>" +
      Html(d.title) +
      "</title><style>"
      "body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}"
      "main{max-width:860px;margin:0 auto;padding:24px}"
      "h1{font-size:24px;margin:0 0 16px}"
      ".banner{padding:14px 18px;border-radius:8px;color:#fff;font-weight:600;margin-bottom:20px}"
      ".ok{background:#1f9d55}.bad{background:#d64545}"
      ".check{background:#fff;border-radius:8px;padding:14px 18px;margin-bottom:12px;box-shadow:0 1px 2px #0001}"
      ".head{display:flex;justify-content:space-between;align-items:baseline}"
      ".state{font-weight:600}.state.up{color:#1f9d55}.state.down{color:#d64545}.state.pending{color:#888}"
      ".bars{display:flex;gap:2px;margin:10px 0 4px}.bars span{flex:1;height:28px;border-radius:2px;background:#ccd}"
      ".bars .g{background:#3bb273}.bars .y{background:#f0b429}.bars .r{background:#d64545}"
      ".muted{color:#667;font-size:13px}.incident{border-left:4px solid #d64545;padding-left:10px;margin:8px 0}"
      "svg{width:100%;height:48px}</style></head><body><main><h1>" +
      Html(d.title) + "</h1>";
  h += down == 0 ? "<div class=\"banner ok\">All systems operational</div>"
                 : "<div class=\"banner bad\">" + std::to_string(down) + " of " + std::to_string(d.checks.size()) +
                       " checks failing</div>";
  if (!d.incidents.empty()) {
    h += "<section><h2>Ongoing incidents</h2>";
    for (const Incident& i : d.incidents) {
      h += "<div class=\"incident\"><strong>" + Html(i.alertname) + "</strong> " + Html(i.summary) +
           "<div class=\"muted\">since " + Html(FormatRfc3339Ms(i.since_ms)) + "</div></div>";
    }
    h += "</section>";
  }
  for (const StatusCheck& c : d.checks) {
    h += "<div class=\"check\"><div class=\"head\"><strong>" + Html(c.name) + "</strong><span class=\"state " +
         Html(c.state) + "\">" + Html(c.state) + "</span></div><div class=\"bars\">";
    for (const auto& [day, ratio] : c.days) {
      const char* cls = !std::isfinite(ratio) ? "" : ratio >= 0.999 ? "g" : ratio >= 0.95 ? "y" : "r";
      h += "<span class=\"" + std::string(cls) + "\" title=\"" + FormatRfc3339Ms(day).substr(0, 10) + ": " +
           Pct(ratio) + "\"></span>";
    }
    h += "</div><div class=\"muted\">90 days · " + Pct(c.uptime_90d) + " uptime</div>";
    if (c.response_times.size() >= 2) {
      double max = 0;
      for (const auto& p : c.response_times) max = std::max(max, p.second);
      if (max <= 0) max = 1;
      const double t0 = static_cast<double>(d.now_ms - kDayMs);
      std::string pts;
      for (const auto& [t, v] : c.response_times) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f,%.1f ", (static_cast<double>(t) - t0) / kDayMs * 1000.0,
                      46.0 - v / max * 44.0);
        pts += buf;
      }
      char label[64];
      std::snprintf(label, sizeof label, "response time, 24 h (max %.0f ms)", max * 1000);
      h += "<svg viewBox=\"0 0 1000 48\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"" + std::string(label) +
           "\"><polyline fill=\"none\" stroke=\"#3b6fd6\" stroke-width=\"2\" points=\"" + pts +
           "\"/></svg><div class=\"muted\">" + label + "</div>";
    }
    h += "</div>";
  }
  h += "<p class=\"muted\">Updated " + Html(FormatRfc3339Ms(d.now_ms)) + " · perfwatch</p></main></body></html>";
  return h;
}

}  // namespace perfwatch::synthetic
