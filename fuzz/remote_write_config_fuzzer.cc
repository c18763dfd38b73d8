// libFuzzer target for the `remote_write:` YAML section (remote/remote_config.h) and the
// write_relabel_configs it accepts (remote/relabel.h). Any input gives a list or
// kInvalidArgument, never a crash or an escaped exception; every accepted entry has an
// http(s) URL and a remote name without a slash, its relabel rules compile, and applying
// them to a label set keeps it sorted.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "remote/relabel.h"
#include "remote/remote_config.h"

using namespace perfwatch;
using namespace perfwatch::remote;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void Exercise(const std::string& text) {
  auto list = ParseRemoteWriteConfig(text);
  if (!list.ok()) {
    Check(list.status().code() == StatusCode::kInvalidArgument);
    Check(!list.status().message().empty());
    return;
  }
  for (const RemoteWriteConfig& c : *list) {
    std::string scheme = c.url.substr(0, 8);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char ch) { return std::tolower(ch); });
    Check(scheme.rfind("http://", 0) == 0 || scheme.rfind("https://", 0) == 0);
    Check(!c.RemoteName().empty() && c.RemoteName().find('/') == std::string::npos);
    Check(c.queue.min_shards <= c.queue.max_shards && c.queue.min_backoff_ms <= c.queue.max_backoff_ms);
    auto relabel = Relabeler::Create(c.write_relabel_configs);
    Check(relabel.ok());
    LabelPairs labels = {{"__name__", "http_requests_total"}, {"instance", "web-1:9100"}, {"job", "api"}};
    if (relabel->Apply(labels)) {
      Check(std::is_sorted(labels.begin(), labels.end()));
      Check(std::adjacent_find(labels.begin(), labels.end(), [](const auto& a, const auto& b) {
              return a.first == b.first;
            }) == labels.end());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Exercise(text);
  Exercise("remote_write:\n" + text);
  Exercise("remote_write:\n  - url: http://a/\n    write_relabel_configs:\n" + text);
  return 0;
}
