#pragma once
// Stack trace parsing for error grouping (docs/errors.md "Stack traces"): the text of an
// Error's `stack` (browsers), of OTel's exception.stacktrace (Node, Python, Java, Go) into
// frames, innermost first.
//
// Contract:
// - Recognised line forms: V8/Chrome/Node "    at fn (file:line:col)", "    at file:line:col",
//   "at async fn (...)", "at new Foo (...)"; Firefox/Safari "fn@file:line:col" and
//   "@file:line:col"; Python "  File \"f.py\", line 12, in fn" (reversed: Python prints the
//   innermost call last); Java "\tat pkg.Cls.fn(Cls.java:42)"; Go "pkg.fn(...)" followed by
//   "\t/path/file.go:42 +0x1d". Other lines (the "TypeError: ..." header, "Caused by",
//   "... 3 more") are skipped. Never fails: garbage gives no frames.
// - A frame's file is as written (CleanFrameFile() is applied by the fingerprint);
//   line/column 0 when absent. At most `max_frames` frames.
// - in_app is false for frames in node_modules, site-packages/dist-packages, browser
//   extensions (chrome-extension://, moz-extension://, safari-(web-)extension://), Node's
//   own modules (node:..., internal/...), "<anonymous>", "native", Go's runtime and an
//   empty file.
//
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::ingest::errors {

struct StackFrame {
  std::string function;  // "" when anonymous
  std::string file;
  int64_t line = 0;
  int64_t column = 0;
  bool in_app = true;
  bool operator==(const StackFrame&) const = default;
};

std::vector<StackFrame> ParseStackTrace(std::string_view stack, size_t max_frames = 64);

// Whether a frame in `file` is application code (see the contract).
bool IsInAppFile(std::string_view file);

// The file as the fingerprint uses it: a URL's scheme, host and port, its query and
// fragment dropped (path only); cache-busting hash tokens of the path ("main.3f2a9b1c.js",
// "index-BxR3kT9a.js": a token of 8+ letters and digits with at least one digit, between
// '.', '-' or '_') removed with their separator. "webpack:///./src/a.js" -> "/./src/a.js".
std::string CleanFrameFile(std::string_view file);

}  // namespace perfwatch::ingest::errors
