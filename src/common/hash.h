#pragma once
// Fast non-cryptographic hashing (a 64-bit multiply-mix over 8-byte words) for hash
// tables and identity keys. Not stable across versions: never persist these values.
// Thread safety: pure functions.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace perfwatch {

inline uint64_t HashMix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a ^ 0x9E3779B97F4A7C15ULL) * (b ^ 0xD6E8FEB86659FD93ULL);
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t HashBytes(std::string_view s, uint64_t seed = 0) {
  uint64_t h = HashMix(seed, s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = HashMix(h, w);
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = HashMix(h, w ^ (uint64_t{s.size() - i} << 56));
  }
  return HashMix(h, 0x2545F4914F6CDD1DULL);
}

}  // namespace perfwatch
