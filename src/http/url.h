#pragma once
// URL and header text helpers: percent-decoding, query/form parameter iteration and
// ASCII case-insensitive comparison. Thread safety: pure functions.
#include <string>
#include <string_view>

namespace perfwatch::http {

// ASCII case-insensitive equality (HTTP header names, tokens).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Appends `in` to `out` with %XX sequences decoded and '+' turned into a space.
// A malformed escape ("%zz", a trailing "%") is kept verbatim.
void PercentDecode(std::string_view in, std::string& out);

// Calls fn(raw_name, raw_value) for each "name=value" pair of `params` (a query string
// or an application/x-www-form-urlencoded body) whose decoded name equals `name`.
// Values are passed raw (still encoded). Stops when fn returns false.
template <typename Fn>
void ForEachUrlParam(std::string_view params, std::string_view name, Fn&& fn);

// Implementation details below.
namespace url_internal {
// True when the encoded parameter name `raw` decodes to `name`.
bool NameMatches(std::string_view raw, std::string_view name);
}  // namespace url_internal

template <typename Fn>
void ForEachUrlParam(std::string_view params, std::string_view name, Fn&& fn) {
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view pair = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (url_internal::NameMatches(raw_name, name) && !fn(raw_name, raw_value)) return;
  }
}

}  // namespace perfwatch::http
