#pragma once
// What the errors API (query/errors_api.h) and the reports need of an error store: one
// group, and the occurrences of a window with their groups. Implemented by the local
// ErrorStore (error_store.h) and by ClickHouse (clickhouse/error_reader.h, events.backend:
// clickhouse), so GET /api/v1/errors answers from either with the same JSON. Semantics
// (inclusive window, first seen kept beyond retention, last seen over the retained
// occurrences) are ErrorStore's, documented there.
// The group and occurrence types are the store's (defined here so both sides share them).
// Thread safety: implementations are thread-safe.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::events {

enum class ErrorSource : uint8_t { kBrowser = 0, kBackend = 1 };  // persisted
std::string_view ErrorSourceName(ErrorSource source);             // "browser", "backend"

struct ErrorFrame {
  std::string function;
  std::string file;
  int64_t line = 0;
  int64_t column = 0;
  bool in_app = false;
  bool operator==(const ErrorFrame&) const = default;
};

// What a group is, as the first occurrence described it.
struct ErrorGroupInfo {
  uint64_t fingerprint = 0;
  ErrorSource source = ErrorSource::kBrowser;
  std::string scope{};  // app (browser) or service (backend) of the first occurrence
  std::string type{};
  std::string message{};         // normalised
  std::string sample_message{};  // raw
  std::string sample_stack{};    // cut to kMaxStackBytes
  std::vector<ErrorFrame> frames{};
};

struct ErrorGroup {
  ErrorGroupInfo info;
  int64_t first_seen_ms = INT64_MAX;
  int64_t last_seen_ms = INT64_MIN;
  uint64_t total = 0;  // occurrences held (within retention)
};

// One stored occurrence as the scan hands it out (views valid during the callback).
struct ErrorOccurrenceView {
  int64_t time_ms = 0;
  std::string_view scope, location, browser, session_id, user_id, message;
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
};

// The frames as the errors API shows them and ClickHouse's error_groups table keeps them:
// [{"function":..,"file":..,"line":..,"column":..,"inApp":bool}, ...].
void AppendErrorFramesJson(std::string& out, const std::vector<ErrorFrame>& frames);

using ErrorOccurrenceFn = std::function<void(const ErrorGroup& group, const ErrorOccurrenceView& occurrence)>;

class ErrorReader {
 public:
  virtual ~ErrorReader() = default;
  // The group with `fingerprint`, nullopt when none is stored.
  virtual Result<std::optional<ErrorGroup>> ReadGroup(uint64_t fingerprint) const = 0;
  // The occurrences with from_ms <= time <= to_ms (of group `only` when set), each with
  // its group, in no particular order. The group references and views handed to `fn`
  // stay valid while the returned holder lives (the local store's for good: it returns
  // null); `fn` must not call the reader.
  virtual Result<std::shared_ptr<const void>> ScanWindow(int64_t from_ms, int64_t to_ms,
                                                         std::optional<uint64_t> only,
                                                         const ErrorOccurrenceFn& fn) const = 0;
};

}  // namespace perfwatch::events
