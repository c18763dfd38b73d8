#include "ingest/rum/user_agent.h"

#include <array>
#include <cstdint>

namespace perfwatch::ingest {
namespace {

// Words of interest; each sets one bit (constants, not an enum: LookUp's conditionals mix
// them with 0).
constexpr uint32_t kIPad = 1u << 0;
constexpr uint32_t kIPhone = 1u << 1;  // also iPod
constexpr uint32_t kAndroid = 1u << 2;
constexpr uint32_t kMobile = 1u << 3;   // also IEMobile
constexpr uint32_t kEdge = 1u << 4;     // Edg, Edge, EdgA, EdgiOS
constexpr uint32_t kChrome = 1u << 5;   // Chrome, HeadlessChrome, Chromium, CriOS
constexpr uint32_t kFirefox = 1u << 6;  // Firefox, FxiOS
constexpr uint32_t kSafari = 1u << 7;
// Opera (OPR, OPT, OPiOS, Opera), SamsungBrowser, YaBrowser, UCBrowser, Vivaldi, MSIE,
// Trident, SeaMonkey.
constexpr uint32_t kOtherBrowser = 1u << 8;

// Words of interest by length; most UA words are rejected by the length switch or the
// first comparison.
uint32_t LookUp(std::string_view w) {
  switch (w.size()) {
    case 3:
      if (w == "Edg") return kEdge;
      if (w == "OPR" || w == "OPT") return kOtherBrowser;
      return 0;
    case 4:
      if (w == "iPad") return kIPad;
      if (w == "iPod") return kIPhone;
      if (w == "Edge" || w == "EdgA") return kEdge;
      if (w == "MSIE") return kOtherBrowser;
      return 0;
    case 5:
      if (w == "CriOS") return kChrome;
      if (w == "FxiOS") return kFirefox;
      if (w == "Opera" || w == "OPiOS") return kOtherBrowser;
      return 0;
    case 6:
      switch (w[0]) {
        case 'i': return w == "iPhone" ? kIPhone : 0;
        case 'M': return w == "Mobile" ? kMobile : 0;
        case 'C': return w == "Chrome" ? kChrome : 0;
        case 'E': return w == "EdgiOS" ? kEdge : 0;
        case 'S': return w == "Safari" ? kSafari : 0;
        default: return 0;
      }
    case 7:
      switch (w[0]) {
        case 'A': return w == "Android" ? kAndroid : 0;
        case 'F': return w == "Firefox" ? kFirefox : 0;
        case 'T': return w == "Trident" ? kOtherBrowser : 0;
        case 'V': return w == "Vivaldi" ? kOtherBrowser : 0;
        default: return 0;
      }
    case 8:
      if (w == "Chromium") return kChrome;
      if (w == "IEMobile") return kMobile | kOtherBrowser;
      return 0;
    case 9:
      if (w == "YaBrowser" || w == "UCBrowser" || w == "SeaMonkey") return kOtherBrowser;
      return 0;
    case 14:
      if (w == "HeadlessChrome") return kChrome;
      if (w == "SamsungBrowser") return kOtherBrowser;
      return 0;
    default:
      return 0;
  }
}

// Letters as a table: the scan below is the hot loop.
constexpr auto kAlpha = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  return t;
}();

bool IsAlpha(char c) { return kAlpha[static_cast<unsigned char>(c)]; }

}  // namespace

UserAgentClass ClassifyUserAgent(std::string_view ua) {
  uint32_t seen = 0;
  const char* p = ua.data();
  const char* end = p + ua.size();
  while (p < end) {
    if (!IsAlpha(*p)) {
      ++p;
      continue;
    }
    const char* word = p;
    while (p < end && IsAlpha(*p)) ++p;
    size_t len = static_cast<size_t>(p - word);
    if (len >= 3) seen |= LookUp({word, len});
  }

  UserAgentClass out;
  if (seen & kIPad) {
    out.device = kDeviceTablet;
  } else if (seen & kAndroid) {
    out.device = (seen & kMobile) ? kDeviceMobile : kDeviceTablet;
  } else if (seen & (kIPhone | kMobile)) {
    out.device = kDeviceMobile;
  } else {
    out.device = kDeviceDesktop;
  }

  // Order matters: Edge and most other Chromium browsers also say "Chrome" and "Safari";
  // Chrome also says "Safari".
  if (seen & kEdge) {
    out.browser = kBrowserEdge;
  } else if (seen & kOtherBrowser) {
    out.browser = kBrowserOther;
  } else if (seen & kFirefox) {
    out.browser = kBrowserFirefox;
  } else if (seen & kChrome) {
    out.browser = kBrowserChrome;
  } else if ((seen & kSafari) && !(seen & kAndroid)) {
    out.browser = kBrowserSafari;  // the pre-Chrome Android browser also says "Safari"
  } else {
    out.browser = kBrowserOther;
  }
  return out;
}

}  // namespace perfwatch::ingest
