// Notification templates: perfwatch's default template library (written for perfwatch;
// its output is the same as Alertmanager 0.25's default.tmpl for the names it defines,
// except email.default.html, a simpler perfwatch design), config template files, and
// template.Data.
#include "alert/notify_template.h"

#include <glob.h>
#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alert/am_format.h"
#include "alert/template_internal.h"
#include "alert/webhook.h"

namespace perfwatch::alert {
namespace {

// Defines one template per line group; blank text between definitions is ignored by
// {{template}} lookups. Each definition reproduces the output of Alertmanager's template
// of the same name.
constexpr std::string_view kDefaultTemplates = R"TMPL(
{{- define "__alertmanager" -}} Alertmanager {{- end -}}
{{- define "__alertmanagerURL" -}}
  {{- .ExternalURL }}/#/alerts?receiver={{ urlquery .Receiver -}}
{{- end -}}
{{- define "__subject" -}}
  [{{ toUpper .Status }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}]
  {{- " " }}{{ join " " .GroupLabels.Values }}{{ " " -}}
  {{- if gt (len .CommonLabels) (len .GroupLabels) -}}
    ({{ join " " (.CommonLabels.Remove .GroupLabels.Names).Values }})
  {{- end -}}
{{- end -}}
{{- define "__description" -}}{{- end -}}
{{- define "__text_alert_list" -}}
  {{- range $alert := . -}}
    Labels:{{ "\n" }}
    {{- range $alert.Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}{{ "\n" }}{{ end -}}
    Annotations:{{ "\n" }}
    {{- range $alert.Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}{{ "\n" }}{{ end -}}
    Source: {{ $alert.GeneratorURL }}{{ "\n" }}
  {{- end -}}
{{- end -}}

{{- define "slack.default.title" -}}{{ template "__subject" . }}{{- end -}}
{{- define "slack.default.username" -}}{{ template "__alertmanager" . }}{{- end -}}
{{- define "slack.default.fallback" -}}
  {{- template "slack.default.title" . }} | {{ template "slack.default.titlelink" . -}}
{{- end -}}
{{- define "slack.default.callbackid" -}}{{- end -}}
{{- define "slack.default.pretext" -}}{{- end -}}
{{- define "slack.default.titlelink" -}}{{ template "__alertmanagerURL" . }}{{- end -}}
{{- define "slack.default.iconemoji" -}}{{- end -}}
{{- define "slack.default.iconurl" -}}{{- end -}}
{{- define "slack.default.text" -}}{{- end -}}
{{- define "slack.default.footer" -}}{{- end -}}

{{- define "pagerduty.default.description" -}}{{ template "__subject" . }}{{- end -}}
{{- define "pagerduty.default.client" -}}{{ template "__alertmanager" . }}{{- end -}}
{{- define "pagerduty.default.clientURL" -}}{{ template "__alertmanagerURL" . }}{{- end -}}
{{- define "pagerduty.default.instances" -}}{{ template "__text_alert_list" . }}{{- end -}}

{{- define "email.default.subject" -}}{{ template "__subject" . }}{{- end -}}
{{- define "email.default.text" -}}
  {{- template "__subject" . }}{{ "\n\n" -}}
  {{- if .Alerts.Firing }}Firing:{{ "\n" }}{{ template "__text_alert_list" .Alerts.Firing }}{{ end -}}
  {{- if .Alerts.Resolved }}Resolved:{{ "\n" }}{{ template "__text_alert_list" .Alerts.Resolved }}{{ end -}}
  {{- "\n" }}View in Alertmanager: {{ template "__alertmanagerURL" . }}{{ "\n" -}}
{{- end -}}
{{- define "__email_alert_rows" -}}
  {{- range . -}}
<tr><td style="padding:8px 0;border-top:1px solid #e5e5e5">
<strong>{{ .Labels.alertname }}</strong><br>
{{- range .Labels.SortedPairs }}{{ if ne .Name "alertname" }}{{ .Name }} = {{ .Value }}<br>{{ end }}{{ end -}}
{{- range .Annotations.SortedPairs }}<em>{{ .Name }}</em>: {{ .Value }}<br>{{ end -}}
{{- if .GeneratorURL }}<a href="{{ .GeneratorURL }}">Source</a>{{ end }}
</td></tr>
  {{- end -}}
{{- end -}}
{{- define "email.default.html" -}}
<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{{ template "__subject" . }}</title></head>
<body style="font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#333">
<table width="100%" cellpadding="0" cellspacing="0" style="max-width:640px">
<tr><td style="padding:12px;color:#fff;background:{{ if eq .Status "firing" }}#e45959{{ else }}#68b90f{{ end }}">
{{- if eq .Status "firing" }}{{ len .Alerts.Firing }} alert{{ if gt (len .Alerts.Firing) 1 }}s{{ end }} for {{ else }}Resolved: {{ end -}}
{{ range .GroupLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}</td></tr>
<tr><td style="padding:12px 0"><a href="{{ template "__alertmanagerURL" . }}">View in perfwatch</a></td></tr>
{{- if .Alerts.Firing }}
<tr><td><strong>[{{ len .Alerts.Firing }}] Firing</strong></td></tr>
{{ template "__email_alert_rows" .Alerts.Firing }}
{{- end }}
{{- if .Alerts.Resolved }}
<tr><td><strong>[{{ len .Alerts.Resolved }}] Resolved</strong></td></tr>
{{ template "__email_alert_rows" .Alerts.Resolved }}
{{- end }}
<tr><td style="padding-top:12px;color:#999;font-size:12px">Sent by perfwatch</td></tr>
</table>
</body></html>
{{ end -}}
)TMPL";

Template ParseDefaults() {
  auto t = Template::ParseNotification("default.tmpl", kDefaultTemplates);
  if (!t.ok()) {
    // A programming error: the defaults are tested.
    std::fprintf(stderr, "perfwatch: default notification templates: %s\n",
                 t.status().ToString().c_str());
    std::abort();
  }
  return std::move(t).value();
}

}  // namespace

std::shared_ptr<const NotificationTemplates> NotificationTemplates::Defaults() {
  static const std::shared_ptr<const NotificationTemplates> d(
      new NotificationTemplates(ParseDefaults()));
  return d;
}

Result<std::shared_ptr<const NotificationTemplates>> NotificationTemplates::Load(
    const std::vector<std::string>& globs, std::string_view base_dir) {
  Template lib = ParseDefaults();
  for (const std::string& g : globs) {
    std::string pattern = g;
    if (!base_dir.empty() && !g.empty() && g[0] != '/') {
      pattern = (std::filesystem::path(base_dir) / g).string();
    }
    glob_t gl{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &gl);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < gl.gl_pathc; ++i) files.emplace_back(gl.gl_pathv[i]);
    }
    globfree(&gl);
    if (rc != 0 && rc != GLOB_NOMATCH) return InvalidArgument("templates: bad glob " + GoQuote(g));
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(f, ec)) continue;
      if (std::filesystem::file_size(f, ec) > (4u << 20)) {
        return InvalidArgument("templates: " + f + ": file larger than 4 MiB");
      }
      std::ifstream in(f, std::ios::binary);
      if (!in) return InvalidArgument("templates: cannot read " + f);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string name = std::filesystem::path(f).filename().string();
      auto t = Template::ParseNotification(name, ss.str());
      if (!t.ok()) return InvalidArgument("templates: " + f + ": " + t.status().message());
      lib.MergeDefinitions(*t);
    }
  }
  return std::shared_ptr<const NotificationTemplates>(new NotificationTemplates(std::move(lib)));
}

Result<std::string> NotificationTemplates::Execute(std::string_view text,
                                                   const NotificationData& data, bool html) const {
  if (text.empty()) return std::string();
  auto t = Template::ParseNotification("", text);
  if (!t.ok()) return t.status();
  TemplateData td;
  td.notification = &data;
  td.library = &library_;
  td.html_escape = html;
  td.external_url = data.external_url;
  return t->Execute(td);
}

Result<std::string> NotificationTemplates::ExecuteText(std::string_view text,
                                                       const NotificationData& data) const {
  return Execute(text, data, false);
}

Result<std::string> NotificationTemplates::ExecuteHtml(std::string_view text,
                                                       const NotificationData& data) const {
  return Execute(text, data, true);
}

NotificationData MakeNotificationData(const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts) {
  NotificationData d;
  d.receiver = GoQuoteMeta(ctx.receiver);
  d.external_url = ctx.external_url;
  d.group_labels = ctx.group_labels;
  bool any_firing = false;
  for (const Alert& a : alerts) {
    NotificationAlert na;
    const bool resolved = a.ResolvedAt(ctx.now_ms);
    any_firing = any_firing || !resolved;
    na.status = resolved ? "resolved" : "firing";
    na.labels = a.labels;
    na.annotations = a.annotations;
    na.starts_at_ms = a.starts_at_ms;
    na.ends_at_ms = resolved ? a.ends_at_ms : 0;
    na.generator_url = a.generator_url;
    na.fingerprint = FingerprintHex(Fingerprint(a.labels));
    d.alerts.push_back(std::move(na));
  }
  d.status = any_firing ? "firing" : "resolved";
  if (!alerts.empty()) {
    const auto common = [&](LabelSet Alert::*field) {
      LabelSet out = alerts[0].*field;
      for (size_t i = 1; i < alerts.size() && !out.empty(); ++i) {
        const LabelSet& other = alerts[i].*field;
        std::erase_if(out, [&](const auto& p) {
          auto it = std::find_if(other.begin(), other.end(),
                                 [&](const auto& q) { return q.first == p.first; });
          return it == other.end() || it->second != p.second;
        });
      }
      return out;
    };
    d.common_labels = common(&Alert::labels);
    d.common_annotations = common(&Alert::annotations);
  }
  return d;
}

std::string GroupKeyHash(std::string_view group_key) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(group_key.data()), group_key.size(), md);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string TruncateInRunes(std::string_view s, size_t n, bool* truncated) {
  std::vector<int32_t> runes;
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    runes.push_back(tmpl::DecodeRune(s, i, &w));
    i += static_cast<size_t>(w);
  }
  if (truncated) *truncated = runes.size() > n;
  if (runes.size() <= n) return std::string(s);
  std::string out;
  const size_t keep = n <= 3 ? n : n - 1;
  for (size_t i = 0; i < keep; ++i) tmpl::AppendRune(out, runes[i]);
  if (n > 3) out += "\xE2\x80\xA6";  // …
  return out;
}

}  // namespace perfwatch::alert
