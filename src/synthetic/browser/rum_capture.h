#pragma once
// Decodes the beacons of the SDK's rum.js captured inside the browser (docs/synthetic.md
// "Browser checks"): the injected shim hands every sendBeacon body to a CDP binding as
// "<performance.timeOrigin>\n<body>", where body is rum.js's batch (a JSON array of
// beacons, sdk/browser/README.md). Page views are told apart by their time origin; the
// check reports the first one's vitals ("lcp", "fcp", "ttfb" in ms, "cls"; rum.js's INP is
// left out, as the series contract lists these four) and its
// resource list (the `resources` of its slow-resources beacons, concatenated in arrival
// order; rum.full.js's running summary replaces the earlier one).
// Thread safety: plain values and pure functions.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "synthetic/check.h"

namespace perfwatch::synthetic::browser {

struct CapturedPageView {
  double time_origin = 0;                 // performance.timeOrigin (unix ms)
  std::map<std::string, double> vitals;   // the latest value of each vital
  std::vector<std::string> resources;     // JSON arrays, in arrival order
  std::string summary_resources;          // rum.full.js: the latest summary's array
};

// Adds one binding payload; false (and *why) when it is malformed (nothing is added then).
bool AddRumPayload(std::string_view payload, std::vector<CapturedPageView>* views, std::string* why);

// Fills result->vitals and result->resources_json from the earliest page view.
void FillFromRum(const std::vector<CapturedPageView>& views, CheckResult* result);

}  // namespace perfwatch::synthetic::browser
