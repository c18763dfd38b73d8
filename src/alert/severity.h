#pragma once
// Severities (issue 12 item 5): the `severity` label's value mapped to one priority that
// receivers use when the configuration does not say otherwise: PagerDuty's payload
// severity, the Slack attachment colour, the email subject prefix. Values, case-insensitive:
//   critical, p0, page -> kCritical     high, p1 -> kHigh
//   warning, p2        -> kWarning      info, p3 -> kInfo
// Anything else (or no label) is kNone and changes nothing: receivers then behave exactly
// as Alertmanager's. A notification's priority is the highest among its firing alerts
// (among all its alerts when none fires). Reference: docs/notifications.md#severities.
// Thread safety: pure functions.
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"

namespace perfwatch::alert {

enum class Priority { kNone = 0, kInfo = 1, kWarning = 2, kHigh = 3, kCritical = 4 };

inline Priority ParsePriority(std::string_view v) {
  std::string lower(v);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "critical" || lower == "p0" || lower == "page") return Priority::kCritical;
  if (lower == "high" || lower == "p1") return Priority::kHigh;
  if (lower == "warning" || lower == "p2") return Priority::kWarning;
  if (lower == "info" || lower == "p3") return Priority::kInfo;
  return Priority::kNone;
}

// The priority of a notification of `alerts`, judged at `now_ms`.
inline Priority NotificationPriority(const std::vector<Alert>& alerts, int64_t now_ms) {
  Priority firing = Priority::kNone, all = Priority::kNone;
  bool any_firing = false;
  for (const Alert& a : alerts) {
    const Priority p = ParsePriority(GetLabel(a.labels, "severity"));
    if (p > all) all = p;
    if (!a.ResolvedAt(now_ms)) {
      any_firing = true;
      if (p > firing) firing = p;
    }
  }
  return any_firing ? firing : all;
}

// Canonical name: "critical", "high", "warning", "info"; "" for kNone.
inline std::string_view PriorityName(Priority p) {
  switch (p) {
    case Priority::kCritical: return "critical";
    case Priority::kHigh: return "high";
    case Priority::kWarning: return "warning";
    case Priority::kInfo: return "info";
    case Priority::kNone: break;
  }
  return "";
}

// PagerDuty Events API v2 payload.severity: critical, error, warning, info; "" for kNone
// (the config's severity, default "error", applies).
inline std::string_view PagerdutySeverity(Priority p) {
  switch (p) {
    case Priority::kCritical: return "critical";
    case Priority::kHigh: return "error";
    case Priority::kWarning: return "warning";
    case Priority::kInfo: return "info";
    case Priority::kNone: break;
  }
  return "";
}

// Slack attachment colour for a firing notification when the config sets no color:
// "danger" (critical, high), "warning", "#439FE0" (info); "" for kNone (Alertmanager's
// default colour template applies). Resolved notifications stay "good".
inline std::string_view SlackColor(Priority p) {
  switch (p) {
    case Priority::kCritical:
    case Priority::kHigh: return "danger";
    case Priority::kWarning: return "warning";
    case Priority::kInfo: return "#439FE0";
    case Priority::kNone: break;
  }
  return "";
}

// Email subject prefix for the default subject: "[CRITICAL] ", "[HIGH] ", "[WARNING] ",
// "[INFO] "; "" for kNone.
inline std::string_view EmailSubjectPrefix(Priority p) {
  switch (p) {
    case Priority::kCritical: return "[CRITICAL] ";
    case Priority::kHigh: return "[HIGH] ";
    case Priority::kWarning: return "[WARNING] ";
    case Priority::kInfo: return "[INFO] ";
    case Priority::kNone: break;
  }
  return "";
}

}  // namespace perfwatch::alert
