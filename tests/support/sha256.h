#pragma once
// SHA-256 as 64 lower-case hex digits: the `auth.tokens[].token_sha256` of a test token.
// Thread safety: pure function.
#include <openssl/sha.h>

#include <string>
#include <string_view>

namespace perfwatch::testing {

inline std::string Sha256Hex(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

}  // namespace perfwatch::testing
