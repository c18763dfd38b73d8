#pragma once
// Runs one browser check (docs/synthetic.md "Browser checks"): a fresh headless Chromium
// (chromium.h) driven over the DevTools Protocol (cdp_client.h) loads BrowserSpec::url
// with the device profile and network throttling, then runs the scripted steps; the SDK's
// rum.js, injected into every document before the page's scripts, measures LCP, FCP, TTFB,
// CLS and the resource list exactly as it does in the field (rum_capture.h). Console
// errors and uncaught exceptions are collected; a failed run gets a PNG screenshot.
//
// Blocking. The whole run (Chromium's start included) is bounded by BrowserSpec::timeout_ms,
// each step by its timeout_ms; the browser's process group is killed on every return path
// (timeout, crash, success) and its profile directory removed.
// Thread safety: reentrant (each call has its own browser); the caller bounds how many run
// at once (synthetic.max_browsers).
#include <filesystem>
#include <string>
#include <vector>

#include "synthetic/check.h"

namespace perfwatch::synthetic {

struct BrowserOptions {
  std::string chromium = "chromium";     // binary, looked up on PATH without a slash
  std::string rum_js;                    // the SDK's rum.js (dist/rum.js); "" injects nothing
  std::filesystem::path work_dir;        // profiles are made (and removed) under it; "": temp dir
  std::vector<std::string> extra_flags;  // appended to Chromium's command line
};

CheckResult RunBrowserCheck(const BrowserSpec& spec, const std::vector<Assertion>& asserts,
                            const BrowserOptions& options);

// The presets, exposed for docs and tests.
struct DeviceProfile {
  int width, height;
  double device_scale_factor;
  bool mobile;  // mobile viewport, touch, Moto G Power user agent
};
struct NetworkProfile {
  double latency_ms, download_bytes_per_s, upload_bytes_per_s;
  const char* connection_type;
};
// nullptr for an unknown name; "none" gives a profile with zero latency and throughput -1.
const DeviceProfile* FindDeviceProfile(const std::string& name);
const NetworkProfile* FindNetworkProfile(const std::string& name);

}  // namespace perfwatch::synthetic
