#pragma once
// Error fingerprinting (tracker issue 14 item 5; docs/errors.md): errors that are "the
// same bug" get the same 16-hex-digit fingerprint, whatever ids, numbers and URLs their
// messages carry.
//
// Contract:
// - NormalizeErrorMessage(): URLs -> "<url>", e-mail addresses -> "<email>", UUIDs ->
//   "<uuid>", 0x-hex and hex runs of 8+ digits with a digit -> "<hex>", numbers (not
//   part of a word: "item42" stays) -> "<n>", quoted strings ('..', "..", `..`) that hold a
//   digit, a space, a '/' or more than 40 bytes -> "<str>" (short identifier-like quotes
//   such as (reading 'foo') name the bug and stay); whitespace runs -> one space; cut to
//   512 bytes at a UTF-8 boundary.
// - SplitErrorType(): "Uncaught TypeError: x" / "TypeError: x" -> ("TypeError", "x") when
//   the prefix is an identifier ending in Error or Exception (or one of Error, Exception,
//   Panic), dotted names allowed ("java.lang.IllegalStateException").
// - Fingerprint = FNV-1a 64 over type, normalised message and the function and
//   CleanFrameFile() of the top kFingerprintFrames in-app frames (line and column left
//   out: a deploy moves them), as 16 lower-case hex digits. Stable across versions: it is
//   persisted and shown.
//
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/errors/stack_trace.h"

namespace perfwatch::ingest::errors {

inline constexpr size_t kFingerprintFrames = 3;
inline constexpr size_t kMaxNormalizedMessageBytes = 512;

std::string NormalizeErrorMessage(std::string_view message);

// {type, rest}; type empty when the message does not start with one.
std::pair<std::string_view, std::string_view> SplitErrorType(std::string_view message);

struct ErrorFingerprint {
  std::string fingerprint;          // 16 hex digits
  std::string type;
  std::string normalized_message;
  std::vector<StackFrame> frames;   // the fingerprinted frames (file cleaned), innermost first
};

// `type` may be empty: then it is taken from the message ("TypeError: ..."), else from the
// stack's first line, else `default_type`. `message` is the raw message.
ErrorFingerprint FingerprintError(std::string_view type, std::string_view message, std::string_view stack,
                                  std::string_view default_type = "Error");

}  // namespace perfwatch::ingest::errors
