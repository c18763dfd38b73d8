#pragma once
// POST /api/v1/analysis/changepoints: change points of a series the caller sends (CI
// benchmark histories, exported metrics), and the same parsing and rendering for the
// offline `perfwatch changepoints FILE.csv` (docs/analysis.md "Change points").
//
// Request body: {"values":[numbers], "timestamps":[numbers or RFC 3339 strings] (optional,
// as many as values), "min_segment", "window", "max_p_value", "min_magnitude" (optional,
// the server's analysis.changepoint defaults)}. Up to kMaxChangepointPoints values, each finite.
// Answer 200: {"status":"success","data":{"changepoints":[...]},"changepoints":[...]} with
// each {"index","time","before_mean","after_mean","change","p_value"} ("time" is the
// timestamp at index as sent, or null); the list sits both at the top level (the issue's
// shape) and in Prometheus' envelope like every other /api/v1 answer. Bad input: 400
// bad_data naming the field.
// Thread safety: pure functions; the handler keeps no state but its defaults, which
// ChangepointDefaults lets a configuration reload replace (thread-safe).
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/changepoint.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::analysis {

inline constexpr size_t kMaxChangepointPoints = 1'000'000;

struct ChangepointRequest {
  std::vector<double> values;
  // As sent: a number's decimal text or a string's JSON text, for echoing in "time".
  std::vector<std::string> timestamps;  // empty: none sent
  ChangepointOptions options;
};

// Options the body leaves out keep the values of `defaults`.
Result<ChangepointRequest> ParseChangepointRequest(std::string_view body, const ChangepointOptions& defaults = {});

// The "changepoints" array: [{"index":...,...}, ...].
std::string RenderChangepointList(const std::vector<Changepoint>& cps, const std::vector<std::string>& timestamps);

// Registers POST /api/v1/analysis/changepoints (scope read, query class); `defaults` are
// the options a request leaves out (analysis.changepoint).
void RegisterChangepointHandler(http::Router& router, const ChangepointOptions& defaults = {});

// analysis.changepoint as the handler's defaults, replaceable at run time (reload): a
// request reads them once, when it starts. Set takes options already checked
// (ValidateChangepointOptions). Thread-safe.
class ChangepointDefaults {
 public:
  explicit ChangepointDefaults(const ChangepointOptions& options = {}) : options_(options) {}
  ChangepointOptions Get() const {
    std::lock_guard lock(mu_);
    return options_;
  }
  void Set(const ChangepointOptions& options) {
    std::lock_guard lock(mu_);
    options_ = options;
  }

 private:
  mutable std::mutex mu_;
  ChangepointOptions options_;  // guarded by mu_
};

// Same, with the defaults read from `defaults` (outlives the router) at each request.
void RegisterChangepointHandler(http::Router& router, const ChangepointDefaults* defaults);

}  // namespace perfwatch::analysis
