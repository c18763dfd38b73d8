// libFuzzer target for alert::ParseAlertmanagerYaml on arbitrary bytes. Any input must
// give a configuration or kInvalidArgument: never a crash, an exception (yaml-cpp throws;
// the parser catches everything), unbounded recursion or a hang on deep nesting or alias
// bombs. An accepted configuration must satisfy Alertmanager's invariants: the root
// route's key is "{}" and it has a receiver that exists, every route's receiver exists,
// keys extend their parent's, and Match returns at least the root for any labels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/am_config.h"

using namespace perfwatch;
using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRoute(const AlertmanagerConfig& c, const Route& r, const std::string& parent_key) {
  Check(c.FindReceiver(r.receiver) != nullptr);
  Check(r.key == (parent_key.empty() ? "" : parent_key + "/") + MatchersToString(r.matchers));
  Check(!r.group_by_all || r.group_by.empty());
  Check(r.group_interval_ms > 0 && r.repeat_interval_ms > 0 && r.group_wait_ms >= 0);
  for (const Route& child : r.routes) CheckRoute(c, child, r.key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseAlertmanagerYaml(text, "/nonexistent-fuzz-dir");
  if (!parsed.ok()) {
    Check(parsed.status().code() == StatusCode::kInvalidArgument);
    return 0;
  }
  const AlertmanagerConfig& c = *parsed;
  Check(c.route.key == "{}");
  Check(c.route.matchers.empty());
  Check(!c.route.continue_matching);
  CheckRoute(c, c.route, "");
  for (const Receiver& r : c.receivers) {
    for (const WebhookConfig& w : r.webhook_configs) Check(w.url.size() >= 8);
  }
  LabelSet labels = {{"alertname", "x"}, {"severity", "page"}};
  Check(!c.route.Match(labels).empty());
  Check(!c.route.Match({}).empty());
  return 0;
}
