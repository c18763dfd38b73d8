#pragma once
// Turns a page URL into its route template, the `page` dimension of RUM events
// (DESIGN.md "Derived at ingest"; every rule: docs/ingest.md "Route templates").
//
//   "https://shop.example/p/42?q=1#top"  -> "/p/:id"
//   "/users/3f2a.../orders/"             -> "/users/:id/orders"
//
// Only the path is kept (scheme, host, query and fragment are dropped; percent-encoding is
// left as sent). Each path segment that is all digits, a UUID (8-4-4-4-12 hex digits, any
// case) or a hex string of 16 or more characters becomes ":id"; otherwise the configured
// extra rules (RumConfig::route_rules) are tried in order, and the first whose regex
// matches the whole segment replaces it with its literal replacement.
//
// Thread safety: immutable after Create(); Template() may be called from any thread.
#include <cstddef>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::ingest {

class RouteTemplater {
 public:
  // The page of a beacon without a usable URL (missing or empty).
  static constexpr std::string_view kUnknownPage = "unknown";
  // Templates longer than this are cut (at a UTF-8 character boundary).
  static constexpr size_t kMaxTemplateBytes = 512;
  // Custom rules are only tried on segments up to this length (std::regex recurses).
  static constexpr size_t kMaxRuleSegmentBytes = 256;

  // Compiles `rules` (ECMAScript regex syntax). A bad pattern is InvalidArgument naming it.
  static Result<std::unique_ptr<RouteTemplater>> Create(const std::vector<RouteRule>& rules);

  RouteTemplater(const RouteTemplater&) = delete;
  RouteTemplater& operator=(const RouteTemplater&) = delete;

  // Appends the template of `url` (absolute or relative) to `out`. Allocates only when
  // `out` must grow (and inside std::regex when custom rules are configured).
  void Template(std::string_view url, std::string& out) const;

  // Convenience for tests and tools.
  std::string Template(std::string_view url) const {
    std::string out;
    Template(url, out);
    return out;
  }

 private:
  struct CompiledRule {
    std::regex regex;
    std::string replacement;
  };
  explicit RouteTemplater(std::vector<CompiledRule> rules) : rules_(std::move(rules)) {}

  // Appends the replacement for `segment` (or the segment itself) to `out`.
  void AppendSegment(std::string_view segment, std::string& out) const;

  const std::vector<CompiledRule> rules_;
};

// Checks that every rule's pattern compiles; for config validation at start-up.
Status ValidateRouteRules(const std::vector<RouteRule>& rules);

// Built-in segment classes, exposed for tests.
bool IsAllDigits(std::string_view segment);
bool IsUuid(std::string_view segment);
bool IsLongHex(std::string_view segment);  // 16 or more hex digits

}  // namespace perfwatch::ingest
