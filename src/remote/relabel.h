#pragma once
// `write_relabel_configs` applied to a series' labels before it is forwarded, with
// Prometheus' semantics: regexes fully anchored, source label values joined by
// `separator` (a missing label is ""), `replace` expanding $1 / ${1} / ${name} in
// `replacement` (an empty result removes target_label), `keep`/`drop` on the joined
// value, `labeldrop`/`labelkeep` on label names, `lowercase`/`uppercase` into
// target_label. A series whose labels end up empty is dropped. External labels
// (global.external_labels) are added first to a series that lacks them, as Prometheus'
// queue manager does before write relabeling.
// Thread safety: a Relabeler is immutable after Create; Apply may run concurrently.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "remote/remote_config.h"

namespace re2 {
class RE2;
}

namespace perfwatch::remote {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;  // sorted by name

class Relabeler {
 public:
  static Result<Relabeler> Create(const std::vector<RelabelConfig>& configs, LabelPairs external_labels = {});
  Relabeler(Relabeler&&) noexcept;
  Relabeler& operator=(Relabeler&&) noexcept;
  ~Relabeler();

  bool empty() const { return rules_.empty() && external_.empty(); }
  // Rewrites `labels` (sorted by name on entry and on return); false: drop the series.
  bool Apply(LabelPairs& labels) const;

 private:
  struct Rule {
    RelabelConfig config;
    std::unique_ptr<re2::RE2> re;
  };
  Relabeler() = default;
  std::vector<Rule> rules_;
  LabelPairs external_;  // sorted by name
};

}  // namespace perfwatch::remote
