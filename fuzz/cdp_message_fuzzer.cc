// libFuzzer target for what a browser check parses from Chromium
// (src/synthetic/browser/, docs/synthetic.md "Browser checks"). Byte 0 even: a DevTools
// Protocol message (browser::ParseCdpMessage): a parsed message is an event with a
// non-empty method or a response with an id >= 0, its payload is valid JSON that
// browser::CdpJson reads, and refused messages give a reason. Byte 0 odd: a rum.js beacon
// payload as the in-page shim hands it over ("<timeOrigin>\n<batch JSON>",
// browser::AddRumPayload): the reported vitals are finite and the resource list is ""
// or a JSON array that re-parses.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "synthetic/browser/cdp_message.h"
#include "synthetic/browser/rum_capture.h"

using namespace perfwatch::synthetic;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    browser::CdpMessage m;
    std::string why;
    if (!browser::ParseCdpMessage(input, &m, &why)) {
      Check(!why.empty());
      return 0;
    }
    Check(m.is_event() ? !m.method.empty() && m.id == -1 : m.id >= 0 && m.method.empty());
    browser::CdpJson payload(m.payload);
    Check(payload.valid());
    // Lookups the browser check makes; any answer is fine, but they must not crash.
    for (const char* path : {"name", "payload", "type", "args.0.value", "args.0.description", "exceptionDetails.text",
                             "exceptionDetails.exception.description", "entry.level", "entry.url", "response.status",
                             "loaderId", "errorText", "result.value", "data", "windowId", "0", "1"}) {
      (void)payload.String(path);
      (void)payload.Number(path);
      (void)payload.Bool(path);
      if (auto raw = payload.Raw(path)) Check(browser::CdpJson(*raw).valid());
    }
    (void)payload.ArraySize("args");
    return 0;
  }
  std::vector<browser::CapturedPageView> views;
  std::string why;
  const bool ok = browser::AddRumPayload(input, &views, &why);
  Check(ok ? views.size() == 1 : !why.empty() && views.empty());
  (void)browser::AddRumPayload(input, &views, &why);  // the same page view again
  Check(views.size() <= 1);
  CheckResult r;
  browser::FillFromRum(views, &r);
  for (const auto& v : r.vitals) Check(std::isfinite(v.second));
  if (!r.resources_json.empty()) {
    browser::CdpJson list(r.resources_json);
    Check(list.valid() && r.resources_json.front() == '[');
  }
  return 0;
}
