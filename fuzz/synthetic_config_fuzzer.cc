// libFuzzer target for the synthetic checks' readers: the `synthetic:` YAML section,
// the POST /api/v1/checks body, and the check-result JSON of the scheduler's state file
// (synthetic/check_config.h, result_json.h). Never a crash or a sanitizer report; a check
// that parses writes JSON that parses back to the same JSON; a result that parses writes
// JSON that parses back.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "synthetic/check_config.h"
#include "synthetic/result_json.h"

using namespace perfwatch::synthetic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)ParseSyntheticConfig(text);
  (void)ParseSyntheticConfig("synthetic:\n  checks:\n" + text);
  auto spec = ParseCheckText(text);
  if (spec.ok()) {
    const std::string json = CheckSpecToJson(*spec);
    auto again = ParseCheckText(json);
    if (!again.ok() || CheckSpecToJson(*again) != json) std::abort();
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) == simdjson::SUCCESS) {
    auto r = ParseCheckResultJson(root);
    if (r.ok()) {
      std::string out;
      AppendCheckResultJson(out, *r, true);
      simdjson::dom::parser p2;
      simdjson::dom::element back;
      if (p2.parse(out).get(back) != simdjson::SUCCESS || !ParseCheckResultJson(back).ok()) std::abort();
    }
  }
  return 0;
}
