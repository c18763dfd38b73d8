// Test helpers for client addresses: an address or a trusted-proxy list from text, failing
// the current test (without aborting it) when the text does not parse.
// Thread-safety: plain functions.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client_ip.h"

namespace perfwatch::http::test_util {

inline IpAddress Ip(std::string_view s) {
  auto a = ParseIpAddress(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

inline TrustedProxies Trusted(const std::vector<std::string>& entries) {
  auto t = TrustedProxies::Create(entries);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : TrustedProxies{};
}

}  // namespace perfwatch::http::test_util
