#pragma once
// Standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /): HTTP basic auth, SMTP AUTH.
// Thread safety: pure functions.
#include <optional>
#include <string>
#include <string_view>

namespace perfwatch {

// With '=' padding.
std::string Base64Encode(std::string_view in);
// Padding optional; nullopt on any other character, bad padding or 4n+1 characters.
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace perfwatch
