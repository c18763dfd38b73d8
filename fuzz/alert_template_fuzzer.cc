// libFuzzer target for alert::Template (Go text/template with Prometheus' functions).
// Any input must either fail to parse with InvalidArgument "template: fuzz:LINE: ..." or
// parse and then execute (with fixed data and a query function returning fixed samples)
// to text or to an InvalidArgument "template: fuzz..." error. Never a crash, a hang or
// unbounded recursion: nesting and template recursion are capped inside the engine, and
// the limits below bound output and work.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "alert/template.h"

using namespace perfwatch;
using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool StartsWith(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Result<Template> t = Template::Parse("fuzz", text);
  if (!t.ok()) {
    Check(t.status().code() == StatusCode::kInvalidArgument);
    Check(StartsWith(t.status().message(), "template: fuzz:"));
    return 0;
  }

  static const LabelSet labels = {
      {"instance", "host:9100"}, {"job", "node"}, {"severity", "critical"}};
  static const LabelSet external = {{"cluster", "prod"}};
  TemplateData d;
  d.labels = &labels;
  d.external_labels = &external;
  d.external_url = "http://prom.example.com:9090/prefix";
  d.value = 1234.5;
  d.max_output_bytes = 64 * 1024;
  d.max_steps = 20'000;
  d.query = [](std::string_view q) -> Result<std::vector<QuerySample>> {
    if (q == "error") return InvalidArgument("1:1: parse error: unexpected end of input");
    return std::vector<QuerySample>{
        {{{"__name__", "up"}, {"instance", "b:1"}, {"job", "b"}}, 1},
        {{{"__name__", "up"}, {"__value__", "x"}, {"instance", "a:1"}, {"job", "a"}}, 0.25},
        {{{"__name__", "up"}, {"job", "c"}}, -3e9},
    };
  };
  Result<std::string> r = t->Execute(d);
  if (r.ok()) {
    Check(r->size() <= d.max_output_bytes);
  } else {
    Check(r.status().code() == StatusCode::kInvalidArgument);
    Check(StartsWith(r.status().message(), "template: "));
  }
  // Parsing the same text again gives a template that behaves the same.
  Result<Template> again = Template::Parse("fuzz", text);
  Check(again.ok());
  Result<std::string> r2 = again->Execute(d);
  Check(r2.ok() == r.ok());
  if (r.ok()) Check(*r2 == *r);
  return 0;
}
