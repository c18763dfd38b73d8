// libFuzzer target for ingest::RouteTemplater and the user agent classifier: any input
// gives a non-empty template within the size cap that starts with '/' (or is "unknown" or
// an opaque URL's text), and templating is idempotent for paths.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/rum/route_templater.h"
#include "ingest/rum/user_agent.h"

using namespace perfwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto templater =
      ingest::RouteTemplater::Create({{"[a-z0-9]+(-[a-z0-9]+)+", ":slug"}, {"(a|b)*c", ":abc"}}).value();
  std::string_view url(reinterpret_cast<const char*>(data), size);
  std::string page = templater->Template(url);
  if (page.empty() || page.size() > ingest::RouteTemplater::kMaxTemplateBytes) std::abort();
  if (page[0] == '/') {
    // A template of a template is itself (unless the cap cut it mid-segment).
    std::string again = templater->Template(page);
    if (page.size() < ingest::RouteTemplater::kMaxTemplateBytes - 64 && again != page) std::abort();
  }
  ingest::UserAgentClass c = ingest::ClassifyUserAgent(url);
  if (c.device.empty() || c.browser.empty()) std::abort();
  return 0;
}
