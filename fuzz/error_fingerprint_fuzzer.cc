// Fuzzes the error grouping parsers (ingest/errors/): the stack trace parser, the message
// normaliser and the fingerprint. Invariants: no crash, deterministic, the fingerprint is
// 16 lower-case hex digits, the normalised message is at most 512 bytes and normalising
// is idempotent enough not to grow, at most kFingerprintFrames frames.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/errors/fingerprint.h"
#include "ingest/errors/stack_trace.h"

using namespace perfwatch::ingest::errors;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // First line: the message; the rest: the stack.
  size_t nl = in.find('\n');
  std::string_view message = in.substr(0, nl);
  std::string_view stack = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  ErrorFingerprint a = FingerprintError("", message, stack);
  ErrorFingerprint b = FingerprintError("", message, stack);
  if (a.fingerprint != b.fingerprint || a.normalized_message != b.normalized_message || a.type != b.type) std::abort();
  if (a.fingerprint.size() != 16) std::abort();
  for (char c : a.fingerprint) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) std::abort();
  }
  if (a.normalized_message.size() > kMaxNormalizedMessageBytes) std::abort();
  if (a.frames.size() > kFingerprintFrames) std::abort();
  auto frames = ParseStackTrace(in, 16);
  if (frames.size() > 16) std::abort();
  for (const StackFrame& f : frames) (void)CleanFrameFile(f.file);
  (void)CleanFrameFile(in);
  return 0;
}
