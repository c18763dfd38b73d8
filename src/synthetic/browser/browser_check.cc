#include "synthetic/browser/browser_check.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "common/base64.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "synthetic/browser/cdp_client.h"
#include "synthetic/browser/cdp_message.h"
#include "synthetic/browser/chromium.h"
#include "synthetic/browser/rum_capture.h"

namespace perfwatch::synthetic {
namespace {

using browser::CdpClient;
using browser::CdpJson;
using browser::CdpMessage;
using browser::ChromiumProcess;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The binding rum.js's beacons reach us through, and the endpoint the shim recognises
// (never contacted: .invalid does not resolve, and the shim swallows the beacons).
constexpr char kBinding[] = "__perfwatchSyntheticBeacon";
constexpr char kEndpoint[] = "https://synthetic.perfwatch.invalid/api/rum";
constexpr size_t kMaxConsoleErrors = 100;
constexpr size_t kMaxConsoleErrorBytes = 2000;
constexpr int64_t kDefaultStepTimeoutMs = 10'000;

// Lighthouse's screen emulation (constants.js screenEmulationMetrics).
constexpr DeviceProfile kDesktop{1350, 940, 1.0, false};
constexpr DeviceProfile kMobile{412, 823, 1.75, true};
// DevTools' presets (also Puppeteer's PredefinedNetworkConditions): latency in ms,
// throughput in bytes/s. fast3g is Lighthouse's default mobile throttling ("Slow 4G").
constexpr NetworkProfile kNoThrottling{0, -1, -1, "none"};
constexpr NetworkProfile kFast4g{60 * 2.75, 9e6 / 8 * 0.9, 1.5e6 / 8 * 0.9, "cellular4g"};
constexpr NetworkProfile kFast3g{150 * 3.75, 1.6e6 / 8 * 0.9, 750e3 / 8 * 0.9, "cellular3g"};
constexpr NetworkProfile kSlow3g{400 * 5, 500e3 / 8 * 0.8, 500e3 / 8 * 0.8, "cellular3g"};

// Lighthouse's emulated Moto G Power user agent; the Chrome version is the real one.
constexpr char kMobileUaPrefix[] =
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/";
constexpr char kMobileUaSuffix[] = " Mobile Safari/537.36";

std::string Q(std::string_view s) {
  std::string o;
  AppendJsonString(o, s);
  return o;
}

std::string Num(double v) {
  std::string o;
  AppendJsonNumber(o, v);
  return o;
}

std::string Secs(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%gs", static_cast<double>(ms) / 1000.0);
  return buf;
}

double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string FirstLine(std::string s) {
  const size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

// The shim runs before rum.js in every document: in the top-level http(s) document it
// configures rum.js (window.perfwatch before the script, as a page would) and routes the
// beacons for our endpoint to the CDP binding; elsewhere (frames, about:blank) rum.js
// stays idle (manual).
std::string ShimScript(const std::string& app) {
  return std::string(R"JS((function () {
  var isTop = false;
  try { isTop = window === window.top; } catch (e) {}
  var web = location.protocol === 'http:' || location.protocol === 'https:';
  if (!isTop || !web) { window.perfwatch = { manual: true }; return; }
  var name = )JS") + Q(kBinding) + R"JS(;
  var early = window[name];
  var endpoint = )JS" + Q(kEndpoint) + R"JS(;
  window.perfwatch = { endpoint: endpoint, app: )JS" +
         Q(app) + R"JS(, memoryInterval: 0 };
  var original = navigator.sendBeacon;
  navigator.sendBeacon = function (url, data) {
    if (String(url) === endpoint) {
      try { (early || window[name])(String(performance.timeOrigin) + '\n' + String(data)); } catch (e) {}
      return true;
    }
    return original.apply(navigator, arguments);
  };
})();
)JS";
}

constexpr char kSettleScript[] = R"JS(new Promise((resolve) => {
  const start = performance.now();
  let last = start;
  let po;
  try {
    po = new PerformanceObserver(() => { last = performance.now(); });
    po.observe({type: 'largest-contentful-paint', buffered: true});
  } catch (e) {}
  const check = () => {
    const now = performance.now();
    const painted = performance.getEntriesByType('paint').length > 0 || now - start > 1000;
    if ((painted && now - last >= 250) || now - start > 1900) {
      if (po) po.disconnect();
      resolve(true);
    } else {
      setTimeout(check, 50);
    }
  };
  requestAnimationFrame(() => setTimeout(check, 50));
}))JS";

std::string VisibleExpr(const std::string& selector) {
  return "((s) => { const el = document.querySelector(s); if (!el) return false;"
         " const r = el.getBoundingClientRect(); if (r.width === 0 && r.height === 0) return false;"
         " const st = getComputedStyle(el); return st.visibility !== 'hidden' && st.display !== 'none'; })(" +
         Q(selector) + ")";
}

std::string TextExpr(const std::string& text) {
  return "((t) => { const b = document.body; return !!b && b.innerText.includes(t); })(" + Q(text) + ")";
}

class Run {
 public:
  Run(const BrowserSpec& spec, const std::vector<Assertion>& asserts, const BrowserOptions& options,
      CheckResult* result)
      : spec_(spec), asserts_(asserts), options_(options), r_(*result) {}

  void Execute();

 private:
  // Failure bookkeeping.
  void Fail(std::string error) {
    if (r_.success || r_.error.empty()) r_.error = std::move(error);
    r_.success = false;
  }
  bool BrowserGone(std::string* why);
  std::string Classify(const std::string& reason, const std::string& where);

  // CDP plumbing.
  Result<std::string> Send(std::string_view method, std::string_view params, Clock::time_point deadline) {
    return cdp_.Call(method, params, session_, deadline);
  }
  void Handle(const CdpMessage& m);
  bool WaitFor(const std::function<bool(const CdpMessage&)>& pred, Clock::time_point deadline);
  void Drain() {
    for (const CdpMessage& m : cdp_.TakeEvents()) Handle(m);
  }
  Result<std::string> Evaluate(const std::string& expr, Clock::time_point deadline);
  std::string Poll(const std::string& expr, Clock::time_point deadline, const std::string& timeout_error);

  // The run's parts.
  std::string Setup(const DeviceProfile& device, const NetworkProfile& net);
  std::string Navigate(const std::string& url, Clock::time_point deadline);
  std::string RunStep(const BrowserStep& s, Clock::time_point deadline, double* duration_override);
  std::string Click(const BrowserStep& s, Clock::time_point deadline);
  std::string Fill(const BrowserStep& s, Clock::time_point deadline);
  void Screenshot(Clock::time_point deadline);
  void HideAndFlush(Clock::time_point deadline, bool restore);
  bool SetWindowState(const char* state, Clock::time_point deadline);
  void AddConsoleError(std::string text);

  const BrowserSpec& spec_;
  const std::vector<Assertion>& asserts_;
  const BrowserOptions& options_;
  CheckResult& r_;

  ChromiumProcess chromium_;
  CdpClient cdp_;
  std::string session_;
  std::string target_id_;
  bool mobile_ = false;
  bool page_crashed_ = false;
  bool timed_out_ = false;
  bool on_page_ = false;      // a web page was loaded (rum.js runs)
  bool flushed_ = false;      // the first page view's final beacons were sent
  int64_t window_id_ = -1;
  Clock::time_point overall_;
  std::map<std::string, int> doc_status_;  // loaderId -> the document's HTTP status
  std::vector<browser::CapturedPageView> views_;
  struct StepTimes {
    Clock::time_point start, end;
  };
  std::map<std::string, StepTimes> step_times_;
};

bool Run::BrowserGone(std::string* why) {
  std::string st;
  if (chromium_.Exited(&st)) {
    *why = st;
    return true;
  }
  if (!cdp_.closed()) return false;
  // The socket closed first: the process is about to be reaped.
  const auto until = Clock::now() + milliseconds(500);
  while (Clock::now() < until) {
    if (chromium_.Exited(&st)) {
      *why = st;
      return true;
    }
    usleep(10'000);
  }
  *why = cdp_.close_reason();
  return true;
}

std::string Run::Classify(const std::string& reason, const std::string& where) {
  std::string gone;
  if (page_crashed_) return "the page crashed " + where;
  if (BrowserGone(&gone)) return "chromium exited unexpectedly (" + gone + ") " + where;
  if (Clock::now() >= overall_) {
    timed_out_ = true;
    return "timeout after " + Secs(spec_.timeout_ms) + " " + where;
  }
  return reason;
}

void Run::AddConsoleError(std::string text) {
  if (r_.console_errors.size() >= kMaxConsoleErrors) return;
  if (text.size() > kMaxConsoleErrorBytes) {
    size_t cut = kMaxConsoleErrorBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    text.resize(cut);
    text += "…";
  }
  r_.console_errors.push_back(std::move(text));
}

void Run::Handle(const CdpMessage& m) {
  if (m.session_id.empty()) {
    if (m.method == "Target.targetCrashed" && CdpJson(m.payload).String("targetId") == target_id_) page_crashed_ = true;
    return;
  }
  if (m.session_id != session_) return;
  if (m.method == "Runtime.bindingCalled") {
    CdpJson j(m.payload);
    if (j.String("name") != std::string(kBinding)) return;
    std::string why;
    if (auto payload = j.String("payload")) (void)browser::AddRumPayload(*payload, &views_, &why);
  } else if (m.method == "Runtime.consoleAPICalled") {
    CdpJson j(m.payload);
    if (j.String("type") != std::string("error")) return;
    std::string text;
    const size_t n = j.ArraySize("args");
    for (size_t i = 0; i < n && text.size() < kMaxConsoleErrorBytes; ++i) {
      const std::string p = "args." + std::to_string(i);
      std::string part;
      if (auto s = j.String(p + ".value")) {
        part = *s;
      } else if (auto d = j.String(p + ".description")) {
        part = *d;
      } else if (auto v = j.Raw(p + ".value")) {
        part = *v;
      } else if (auto u = j.String(p + ".unserializableValue")) {
        part = *u;
      } else {
        part = j.String(p + ".type").value_or("");
      }
      if (!text.empty()) text += ' ';
      text += part;
    }
    AddConsoleError(text);
  } else if (m.method == "Runtime.exceptionThrown") {
    CdpJson j(m.payload);
    std::string text = j.String("exceptionDetails.text").value_or("Uncaught");
    if (auto d = j.String("exceptionDetails.exception.description")) {
      text += " " + FirstLine(*d);
    } else if (auto v = j.Raw("exceptionDetails.exception.value")) {
      text += " " + *v;
    }
    AddConsoleError(text);
  } else if (m.method == "Log.entryAdded") {
    CdpJson j(m.payload);
    if (j.String("entry.level") != std::string("error")) return;
    std::string text = j.String("entry.text").value_or("");
    const std::string url = j.String("entry.url").value_or("");
    // The browser's own favicon request is not the page's doing.
    if (url.size() >= 12 && url.compare(url.size() - 12, 12, "/favicon.ico") == 0) return;
    if (!url.empty() && text.find(url) == std::string::npos) text += " (" + url + ")";
    AddConsoleError(text);
  } else if (m.method == "Network.responseReceived") {
    CdpJson j(m.payload);
    if (j.String("type") != std::string("Document")) return;
    auto loader = j.String("loaderId");
    auto status = j.Number("response.status");
    if (loader && status && doc_status_.size() < 1000) doc_status_[*loader] = static_cast<int>(*status);
  } else if (m.method == "Inspector.targetCrashed") {
    page_crashed_ = true;
  } else if (m.method == "Page.javascriptDialogOpening") {
    // alert()/confirm() would block the page (and our evaluations): accept at once.
    (void)Send("Page.handleJavaScriptDialog", R"({"accept":true})", Clock::now() + milliseconds(2000));
  }
}

bool Run::WaitFor(const std::function<bool(const CdpMessage&)>& pred, Clock::time_point deadline) {
  while (true) {
    auto ev = cdp_.WaitEvent([](const CdpMessage&) { return true; }, deadline);
    if (!ev) return false;
    Handle(*ev);
    if (pred && pred(*ev)) return true;
    if (page_crashed_) return false;
  }
}

Result<std::string> Run::Evaluate(const std::string& expr, Clock::time_point deadline) {
  auto res = Send("Runtime.evaluate",
                  R"({"expression":)" + Q(expr) + R"(,"returnByValue":true,"awaitPromise":false,"userGesture":true})",
                  deadline);
  if (!res.ok()) return res.status();
  CdpJson j(*res);
  if (j.Raw("exceptionDetails")) {
    std::string text = j.String("exceptionDetails.exception.description")
                           .value_or(j.String("exceptionDetails.text").value_or("exception"));
    return InvalidArgument(FirstLine(text));
  }
  return j.Raw("result.value").value_or("null");
}

// Evaluates `expr` every 50 ms until it is true; "" then, else why not. A page exception
// (bad selector) fails at once; a missing context (the page is navigating) is retried.
std::string Run::Poll(const std::string& expr, Clock::time_point deadline, const std::string& timeout_error) {
  while (true) {
    auto v = Evaluate(expr, deadline);
    if (v.ok() && *v == "true") return "";
    if (!v.ok() && v.status().code() == StatusCode::kInvalidArgument) return v.status().message();
    if (page_crashed_ || cdp_.closed()) return "browser gone";
    if (Clock::now() >= deadline) return timeout_error;
    WaitFor(nullptr, std::min(deadline, Clock::now() + milliseconds(50)));
  }
}

std::string Run::Setup(const DeviceProfile& device, const NetworkProfile& net) {
  auto version = cdp_.Call("Browser.getVersion", "", "", overall_);
  if (!version.ok()) return version.status().message();
  CdpJson v(*version);
  std::string ua = v.String("userAgent").value_or("");
  std::string product = v.String("product").value_or("");  // "HeadlessChrome/156.0.8078.114"
  std::string major = "0";
  if (size_t slash = product.find('/'); slash != std::string::npos) {
    major = product.substr(slash + 1, product.find('.', slash) - slash - 1);
  }
  if (device.mobile) {
    ua = std::string(kMobileUaPrefix) + major + ".0.0.0" + kMobileUaSuffix;
  } else if (size_t h = ua.find("HeadlessChrome"); h != std::string::npos) {
    ua.replace(h, 14, "Chrome");
  }
  auto target = cdp_.Call("Target.createTarget", R"({"url":"about:blank"})", "", overall_);
  if (!target.ok()) return target.status().message();
  target_id_ = CdpJson(*target).String("targetId").value_or("");
  auto attached = cdp_.Call("Target.attachToTarget", R"({"targetId":)" + Q(target_id_) + R"(,"flatten":true})", "",
                            overall_);
  if (!attached.ok()) return attached.status().message();
  session_ = CdpJson(*attached).String("sessionId").value_or("");
  if (session_.empty()) return "Target.attachToTarget returned no session";

  std::vector<std::pair<std::string, std::string>> calls = {
      {"Page.enable", ""},
      {"Page.bringToFront", ""},
      {"Page.setLifecycleEventsEnabled", R"({"enabled":true})"},
      {"Runtime.enable", ""},
      {"Log.enable", ""},
      {"Network.enable", ""},
      {"Inspector.enable", ""},
      {"Emulation.setDeviceMetricsOverride",
       R"({"width":)" + std::to_string(device.width) + R"(,"height":)" + std::to_string(device.height) +
           R"(,"deviceScaleFactor":)" + Num(device.device_scale_factor) +
           R"(,"mobile":)" + (device.mobile ? "true" : "false") + R"(,"screenWidth":)" + std::to_string(device.width) +
           R"(,"screenHeight":)" + std::to_string(device.height) + "}"},
      {"Emulation.setUserAgentOverride", R"({"userAgent":)" + Q(ua) + "}"},
      {"Runtime.addBinding", R"({"name":)" + Q(kBinding) + "}"},
  };
  if (device.mobile) calls.push_back({"Emulation.setTouchEmulationEnabled", R"({"enabled":true,"maxTouchPoints":5})"});
  if (net.download_bytes_per_s > 0) {
    calls.push_back({"Network.emulateNetworkConditions",
                     R"({"offline":false,"latency":)" + Num(net.latency_ms) + R"(,"downloadThroughput":)" +
                         Num(net.download_bytes_per_s) + R"(,"uploadThroughput":)" + Num(net.upload_bytes_per_s) +
                         R"(,"connectionType":)" + Q(net.connection_type) + "}"});
  }
  if (!options_.rum_js.empty()) {
    calls.push_back({"Page.addScriptToEvaluateOnNewDocument",
                     R"({"source":)" + Q(ShimScript(spec_.app) + options_.rum_js + "\n") + "}"});
  }
  for (const auto& c : calls) {
    auto res = Send(c.first, c.second, overall_);
    if (!res.ok()) return res.status().message();
  }
  return "";
}

std::string Run::Navigate(const std::string& url, Clock::time_point deadline) {
  Drain();
  auto res = Send("Page.navigate", R"({"url":)" + Q(url) + "}", deadline);
  if (!res.ok()) {
    if (Clock::now() >= deadline) return "the page did not respond in time";
    return res.status().message();
  }
  CdpJson j(*res);
  if (auto e = j.String("errorText"); e && !e->empty()) return *e;
  const auto loader = j.String("loaderId");
  if (!loader) return "";  // same-document navigation (a fragment)
  const bool loaded = WaitFor(
      [&](const CdpMessage& m) {
        if (m.session_id != session_ || m.method != "Page.lifecycleEvent") return false;
        CdpJson p(m.payload);
        return p.String("name") == std::string("load") && p.String("loaderId") == *loader;
      },
      deadline);
  if (!loaded) return "the page did not finish loading (no load event) in time";
  if (auto it = doc_status_.find(*loader); it != doc_status_.end() && it->second >= 400) {
    return "HTTP status " + std::to_string(it->second);
  }
  on_page_ = on_page_ || url.rfind("http", 0) == 0;
  return "";
}

std::string Run::Click(const BrowserStep& s, Clock::time_point deadline) {
  std::string err = Poll(VisibleExpr(s.target), deadline,
                         "no visible element matches " + Q(s.target) + " after " + Secs(s.timeout_ms));
  if (!err.empty()) return err;
  auto pos = Evaluate("((s) => { const el = document.querySelector(s); el.scrollIntoView({block: 'center', inline: "
                      "'center'}); const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + "
                      "r.height / 2]; })(" + Q(s.target) + ")",
                      deadline);
  if (!pos.ok()) return pos.status().message();
  CdpJson p(*pos);
  const double x = p.Number("0").value_or(0), y = p.Number("1").value_or(0);
  const std::string xy = R"("x":)" + Num(x) + R"(,"y":)" + Num(y);
  Drain();
  std::vector<std::pair<const char*, std::string>> calls;
  if (mobile_) {  // a tap, as on the phone being emulated
    calls = {{"Input.dispatchTouchEvent", R"({"type":"touchStart","touchPoints":[{)" + xy + "}]}"},
             {"Input.dispatchTouchEvent", R"({"type":"touchEnd","touchPoints":[]})"}};
  } else {
    calls = {{"Input.dispatchMouseEvent", R"({"type":"mouseMoved",)" + xy + "}"},
             {"Input.dispatchMouseEvent", R"({"type":"mousePressed","button":"left","buttons":1,"clickCount":1,)" + xy + "}"},
             {"Input.dispatchMouseEvent", R"({"type":"mouseReleased","button":"left","buttons":0,"clickCount":1,)" + xy + "}"}};
  }
  for (const auto& c : calls) {
    auto res = Send(c.first, c.second, deadline);
    if (!res.ok()) return res.status().message();
  }
  // A click that starts a navigation (link, form) waits for the new page's load event.
  const bool navigating = WaitFor(
      [&](const CdpMessage& m) { return m.session_id == session_ && m.method == "Page.frameRequestedNavigation"; },
      std::min(deadline, Clock::now() + milliseconds(100)));
  if (navigating) {
    const bool loaded = WaitFor(
        [&](const CdpMessage& m) { return m.session_id == session_ && m.method == "Page.loadEventFired"; }, deadline);
    if (!loaded) return "the page the click opened did not finish loading in time";
  }
  return "";
}

std::string Run::Fill(const BrowserStep& s, Clock::time_point deadline) {
  std::string err = Poll(VisibleExpr(s.target), deadline,
                         "no visible element matches " + Q(s.target) + " after " + Secs(s.timeout_ms));
  if (!err.empty()) return err;
  auto focused = Evaluate(
      "((s) => { const el = document.querySelector(s); el.focus(); if ('value' in el) { el.value = ''; "
      "el.dispatchEvent(new Event('input', {bubbles: true})); } else if (el.isContentEditable) { el.textContent = ''; } "
      "return document.activeElement === el; })(" + Q(s.target) + ")",
      deadline);
  if (!focused.ok()) return focused.status().message();
  if (*focused != "true") return "the element " + Q(s.target) + " cannot take input focus";
  auto typed = Send("Input.insertText", R"({"text":)" + Q(s.value) + "}", deadline);
  if (!typed.ok()) return typed.status().message();
  auto changed = Evaluate("((s) => { const el = document.querySelector(s); if (el) el.dispatchEvent(new Event('change', "
                          "{bubbles: true})); return true; })(" + Q(s.target) + ")",
                          deadline);
  if (!changed.ok()) return changed.status().message();
  return "";
}

std::string Run::RunStep(const BrowserStep& s, Clock::time_point deadline, double* duration_override) {
  switch (s.kind) {
    case BrowserStep::Kind::kGoto: {
      std::string url = s.target;
      if (url.find("://") == std::string::npos && url.rfind("about:", 0) != 0) {
        auto abs = Evaluate("new URL(" + Q(url) + ", location.href).href", deadline);
        if (!abs.ok()) return "cannot resolve " + Q(url) + ": " + abs.status().message();
        url = CdpJson(*abs).String("").value_or(url);
      }
      return Navigate(url, deadline);
    }
    case BrowserStep::Kind::kClick: return Click(s, deadline);
    case BrowserStep::Kind::kFill: return Fill(s, deadline);
    case BrowserStep::Kind::kWaitFor:
      if (s.by_text) return Poll(TextExpr(s.target), deadline, "text " + Q(s.target) + " did not appear after " + Secs(s.timeout_ms));
      return Poll(VisibleExpr(s.target), deadline,
                  "no visible element matches " + Q(s.target) + " after " + Secs(s.timeout_ms));
    case BrowserStep::Kind::kAssert:
      return Poll(TextExpr(s.target), deadline, "text " + Q(s.target) + " not found on the page after " + Secs(s.timeout_ms));
    case BrowserStep::Kind::kMeasure: {
      auto from = step_times_.find(s.from), to = step_times_.find(s.to);
      if (from == step_times_.end()) return "step " + Q(s.from) + " has not run";
      if (to == step_times_.end()) return "step " + Q(s.to) + " has not run";
      *duration_override = SecondsBetween(from->second.start, to->second.end);
      return "";
    }
  }
  return "unknown step kind";
}

void Run::Screenshot(Clock::time_point deadline) {
  auto shot = Send("Page.captureScreenshot", R"({"format":"png"})", deadline);
  if (!shot.ok()) return;
  auto data = CdpJson(*shot).String("data");
  if (!data) return;
  if (auto png = Base64Decode(*data)) r_.screenshot_png = std::move(*png);
}

// rum.js sends its last beacons (final LCP and CLS, the resource list) when the page is
// hidden. Minimizing the window hides the page for real (a trusted visibilitychange, as
// when a user switches tabs); leaving the page instead would lose them, as bindings do
// not report from a document being unloaded. Returns once the page saw itself hidden and
// finished the task that flushed (a round trip after it). `restore` shows it again.
void Run::HideAndFlush(Clock::time_point deadline, bool restore) {
  // Let what just loaded be painted first: the load event comes before the paint, and LCP
  // entries only after the frame is presented; an entry still pending when the page is
  // hidden is never reported. Waits until a paint happened and no LCP candidate came for
  // 250 ms (at most 2 s).
  (void)Send("Runtime.evaluate", R"({"expression":)" + Q(kSettleScript) + R"(,"awaitPromise":true})",
             std::min(deadline, Clock::now() + milliseconds(2000)));
  if (!SetWindowState("minimized", deadline)) return;
  (void)Poll("document.visibilityState === 'hidden'", std::min(deadline, Clock::now() + milliseconds(1000)), "");
  (void)Evaluate("0", deadline);  // the flush's task and microtasks have run
  Drain();
  if (restore) {
    SetWindowState("normal", deadline);
    (void)Poll("document.visibilityState === 'visible'", std::min(deadline, Clock::now() + milliseconds(1000)), "");
  }
  flushed_ = true;
}

bool Run::SetWindowState(const char* state, Clock::time_point deadline) {
  if (window_id_ < 0) {
    auto win = cdp_.Call("Browser.getWindowForTarget", R"({"targetId":)" + Q(target_id_) + "}", "", deadline);
    if (!win.ok()) return false;
    window_id_ = static_cast<int64_t>(CdpJson(*win).Number("windowId").value_or(-1));
    if (window_id_ < 0) return false;
  }
  auto res = cdp_.Call("Browser.setWindowBounds",
                       R"({"windowId":)" + std::to_string(window_id_) + R"(,"bounds":{"windowState":)" + Q(state) + "}}",
                       "", deadline);
  return res.ok();
}

void Run::Execute() {
  r_.time_ms = NowMs();
  r_.success = true;
  overall_ = Clock::now() + milliseconds(std::max<int64_t>(spec_.timeout_ms, 1));
  const DeviceProfile* device = FindDeviceProfile(spec_.device);
  const NetworkProfile* net = FindNetworkProfile(spec_.throttling);
  if (!device) return Fail("unknown device \"" + spec_.device + "\" (desktop or mobile)");
  if (!net) return Fail("unknown throttling \"" + spec_.throttling + "\" (none, 4g, fast3g or slow3g)");
  mobile_ = device->mobile;

  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  char name[96];
  std::snprintf(name, sizeof(name), "perfwatch-chromium-%d-%llu-%08x", static_cast<int>(getpid()),
                static_cast<unsigned long long>(counter++), static_cast<unsigned>(rd()));
  const std::filesystem::path work =
      options_.work_dir.empty() ? std::filesystem::temp_directory_path() : options_.work_dir;
  ChromiumProcess::Options copts;
  copts.binary = options_.chromium.empty() ? "chromium" : options_.chromium;
  copts.user_data_dir = work / name;
  copts.extra_flags = options_.extra_flags;
  copts.window_width = device->width;
  copts.window_height = device->height;
  if (Status st = chromium_.Start(copts, overall_); !st.ok()) {
    if (Clock::now() >= overall_) return Fail("timeout after " + Secs(spec_.timeout_ms) + " while starting chromium");
    return Fail(st.message());
  }
  if (Status st = cdp_.Connect("127.0.0.1", chromium_.port(), chromium_.browser_ws_path(), overall_); !st.ok()) {
    chromium_.Kill();
    return Fail(Classify(st.message(), "while connecting to chromium"));
  }
  if (std::string err = Setup(*device, *net); !err.empty()) {
    Fail(Classify("cannot set up the page: " + err, "while setting up the page"));
    chromium_.Kill();
    return;
  }

  const auto run_start = Clock::now();
  if (!spec_.url.empty()) {
    if (std::string err = Navigate(spec_.url, overall_); !err.empty()) {
      const std::string where = "while loading " + spec_.url;
      std::string c = Classify(err, where);
      Fail(c == err ? "loading " + spec_.url + " failed: " + err : c);
    }
  }
  for (size_t i = 0; r_.success && i < spec_.steps.size(); ++i) {
    const BrowserStep& s = spec_.steps[i];
    StepResult sr;
    sr.name = s.name.empty() ? "step " + std::to_string(i + 1) : s.name;
    if (s.kind == BrowserStep::Kind::kGoto && on_page_ && !flushed_ && !options_.rum_js.empty()) {
      // Leaving the first page: its last beacons would be lost in the unload.
      HideAndFlush(std::min(overall_, Clock::now() + milliseconds(3000)), true);
    }
    const auto t0 = Clock::now();
    const int64_t budget = s.timeout_ms > 0 ? s.timeout_ms : kDefaultStepTimeoutMs;
    double override_s = -1;
    std::string err = RunStep(s, std::min(overall_, t0 + milliseconds(budget)), &override_s);
    const auto t1 = Clock::now();
    step_times_[sr.name] = {t0, t1};
    sr.duration_s = override_s >= 0 ? override_s : SecondsBetween(t0, t1);
    if (!err.empty()) {
      sr.ok = false;
      const std::string c = Classify(err, "in step \"" + sr.name + "\"");
      sr.error = c;
      Fail(c == err ? "step \"" + sr.name + "\" failed: " + err : c);
    }
    r_.steps.push_back(std::move(sr));
  }
  r_.duration_s = SecondsBetween(run_start, Clock::now());
  if (r_.success) {
    for (size_t i = 0; i < asserts_.size(); ++i) {
      const Assertion& a = asserts_[i];
      if (a.kind != Assertion::Kind::kMaxDuration) continue;  // the config admits nothing else here
      if (r_.duration_s * 1000.0 > static_cast<double>(a.max_duration_ms)) {
        char took[32];
        std::snprintf(took, sizeof(took), "%.3fs", r_.duration_s);
        Fail(std::string("took ") + took + ", more than " + FormatPromDuration(a.max_duration_ms));
        r_.failed_assertion = static_cast<int>(i);
        break;
      }
    }
  }
  std::string gone;
  const bool alive = !page_crashed_ && !BrowserGone(&gone);
  if (!r_.success && alive) {
    // A second past the run's deadline at most, so a hung page still gets its picture.
    Screenshot(std::min(Clock::now() + milliseconds(5000), std::max(overall_, Clock::now()) + milliseconds(1000)));
  }
  if (alive && !timed_out_ && !options_.rum_js.empty()) {
    HideAndFlush(std::min(Clock::now() + milliseconds(3000), overall_ + milliseconds(1000)), false);
  }
  Drain();
  browser::FillFromRum(views_, &r_);
  chromium_.Kill();
}

}  // namespace

const DeviceProfile* FindDeviceProfile(const std::string& name) {
  if (name == "desktop" || name.empty()) return &kDesktop;
  if (name == "mobile") return &kMobile;
  return nullptr;
}

const NetworkProfile* FindNetworkProfile(const std::string& name) {
  if (name == "none" || name.empty()) return &kNoThrottling;
  if (name == "4g") return &kFast4g;
  if (name == "fast3g") return &kFast3g;
  if (name == "slow3g") return &kSlow3g;
  return nullptr;
}

CheckResult RunBrowserCheck(const BrowserSpec& spec, const std::vector<Assertion>& asserts,
                            const BrowserOptions& options) {
  CheckResult result;
  {
    Run run(spec, asserts, options, &result);
    run.Execute();
  }  // ~Run kills chromium on every path
  return result;
}

}  // namespace perfwatch::synthetic
