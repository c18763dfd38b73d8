// libFuzzer target for the request-guard parsers: Authorization headers (Bearer, Basic
// and base64), IP addresses and CIDRs, and the X-Forwarded-For walk. The input is split
// at the first two newlines into an Authorization value, a CIDR list (comma-separated)
// and X-Forwarded-For values ('\t' separates headers). Checks: no crash, a Basic token
// is a suffix of the decoded credentials, base64 output is at most 3/4 of the input, a
// network contains its own base address, a resolved client is the peer or one of the
// X-Forwarded-For entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.h"
#include "http/auth.h"
#include "http/client_ip.h"

using namespace perfwatch;

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts = Split(in, '\n');
  std::string_view authorization = parts[0];
  std::string_view cidrs = parts.size() > 1 ? parts[1] : "";
  std::string_view forwarded = parts.size() > 2 ? in.substr(authorization.size() + cidrs.size() + 2) : "";

  if (auto decoded = Base64Decode(authorization)) {
    if (decoded->size() > authorization.size() * 3 / 4) std::abort();
  }
  if (auto token = http::TokenFromAuthorization(authorization)) {
    if (token->empty()) std::abort();
  }

  std::vector<std::string> entries;
  for (std::string_view c : Split(cidrs, ',')) {
    if (auto n = http::ParseIpNetwork(c)) {
      if (!n->Contains(n->base)) std::abort();
      if (n->prefix_len < 0 || n->prefix_len > 128) std::abort();
      entries.emplace_back(c);
    }
  }
  auto trusted = http::TrustedProxies::Create(entries);
  if (!trusted.ok()) std::abort();  // every entry parsed above
  std::vector<std::string_view> xff = Split(forwarded, '\t');
  for (std::string_view peer : {std::string_view("127.0.0.1"), std::string_view("::1"), cidrs}) {
    auto client = http::ResolveClientAddress(peer, xff, *trusted);
    if (!client) continue;
    bool known = http::ParseIpAddress(peer) == client;
    for (std::string_view h : xff) {
      for (std::string_view e : Split(h, ',')) known = known || http::ParseForwardedEntry(e) == client;
    }
    if (!known) std::abort();
    (void)client->ToString();
  }
  (void)http::IsLoopbackListenAddress(authorization);
  return 0;
}
