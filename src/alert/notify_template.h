#pragma once
// Notification templates, as Alertmanager 0.25 builds them (template/template.go): the
// data every notification template sees (NotificationData: .Receiver, .Status, .Alerts
// with .Firing / .Resolved, .GroupLabels, .CommonLabels, .CommonAnnotations with
// .SortedPairs / .Names / .Values / .Remove, .ExternalURL) and the template library:
// perfwatch's own default templates (the same names and output as Alertmanager's
// default.tmpl: __alertmanager, __alertmanagerURL, __subject, __text_alert_list,
// slack.default.*, pagerduty.default.*, email.default.subject / html) plus the files the
// configuration's `templates:` globs name, parsed in order, so that they may define or
// redefine templates. Texts from receiver configs are executed as Alertmanager's
// ExecuteTextString / ExecuteHTMLString do: "" gives "", otherwise the text is parsed as a
// new template that can call every template of the library.
// Thread safety: a loaded NotificationTemplates is immutable and may be shared.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/template.h"
#include "common/status.h"

namespace perfwatch::alert {

struct NotificationContext;  // webhook.h

class NotificationTemplates {
 public:
  // The defaults only.
  static std::shared_ptr<const NotificationTemplates> Defaults();
  // The defaults, then every file matching each glob (relative globs are taken relative to
  // `base_dir`), in glob order and file-name order within a glob. A glob matching nothing
  // is not an error (as in Alertmanager); a file that does not parse is, naming it.
  static Result<std::shared_ptr<const NotificationTemplates>> Load(
      const std::vector<std::string>& globs, std::string_view base_dir);

  // ExecuteTextString: "" for "", else the expansion or the parse / execution error.
  Result<std::string> ExecuteText(std::string_view text, const NotificationData& data) const;
  // ExecuteHTMLString: as ExecuteText, with each action's value HTML-escaped unless it
  // comes from safeHtml (perfwatch escapes in text context only; see docs/notifications.md).
  Result<std::string> ExecuteHtml(std::string_view text, const NotificationData& data) const;

  // The names of every template the library defines.
  std::vector<std::string> Names() const { return library_.DefinedNames(); }

 private:
  explicit NotificationTemplates(Template library) : library_(std::move(library)) {}
  Result<std::string> Execute(std::string_view text, const NotificationData& data,
                              bool html) const;
  Template library_;
};

// Alertmanager's template.Data for `alerts` (in notification order): statuses at
// ctx.now_ms, the receiver name regexp-quoted, common labels and annotations.
NotificationData MakeNotificationData(const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts);

// notify.Key.Hash(): the hex SHA-256 of the group key (PagerDuty's dedup_key).
std::string GroupKeyHash(std::string_view group_key);

// notify.TruncateInRunes: `s` cut to at most `n` runes, the last one replaced by "…" when
// cut. `truncated` (may be null) says whether it was.
std::string TruncateInRunes(std::string_view s, size_t n, bool* truncated);

}  // namespace perfwatch::alert
