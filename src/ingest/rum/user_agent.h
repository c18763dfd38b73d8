#pragma once
// Classifies a User-Agent string into the `device` and `browser` dimensions of RUM events
// (DESIGN.md "Derived at ingest"; the exact rules: docs/ingest.md "User agents").
//
// device:  "tablet" for iPad and Android without "Mobile"; "mobile" for other phones
//          ("Mobile" or iPhone/iPod); "desktop" otherwise (including an empty UA).
// browser: "Edge", "Chrome", "Safari", "Firefox" or "other".
//
// One pass over the string that compares its alphabetic words against a fixed list;
// no regex, no allocation. Thread safety: pure functions.
#include <string_view>

namespace perfwatch::ingest {

inline constexpr std::string_view kDeviceMobile = "mobile";
inline constexpr std::string_view kDeviceTablet = "tablet";
inline constexpr std::string_view kDeviceDesktop = "desktop";

inline constexpr std::string_view kBrowserChrome = "Chrome";
inline constexpr std::string_view kBrowserSafari = "Safari";
inline constexpr std::string_view kBrowserFirefox = "Firefox";
inline constexpr std::string_view kBrowserEdge = "Edge";
inline constexpr std::string_view kBrowserOther = "other";

struct UserAgentClass {
  std::string_view device;   // one of the kDevice* constants (static storage)
  std::string_view browser;  // one of the kBrowser* constants (static storage)
};

UserAgentClass ClassifyUserAgent(std::string_view user_agent);

}  // namespace perfwatch::ingest
