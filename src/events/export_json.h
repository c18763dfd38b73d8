#pragma once
// Formats stored events as the JSON objects that EventStore::Export writes, one per line.
// Field list: docs/events.md ("Export").
//
// EventJsonWriter is the export path. Per partition it escapes each dictionary string and
// each dimension combo once, on first use, and splices the cached bytes afterwards; only
// inline strings (unique ids, URLs, attrs) are escaped per event. It writes into its own
// buffer, sized once per line from an upper bound, so a line costs no allocation.
// AppendEventJson is the plain formatter of one decoded record; the two must produce the
// same bytes (tests/events/export_test.cc checks it).
//
// Thread safety: AppendEventJson is a pure function. EventJsonWriter is not thread-safe
// (one per export); StartPartition and Append read the partition's dictionary and combos,
// so the caller holds the store's shared state lock around them.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/partition.h"

namespace perfwatch::events {

// Appends `{...}\n` for `r` to `out`.
void AppendEventJson(std::string& out, const RecordView& r);

class EventJsonWriter {
 public:
  EventJsonWriter();
  EventJsonWriter(const EventJsonWriter&) = delete;
  EventJsonWriter& operator=(const EventJsonWriter&) = delete;

  // Forgets the caches of the previous partition.
  void StartPartition(const Partition& p);
  // Appends the line of the record `payload` (from `p`'s log) whose row has combo `combo`.
  Status Append(const Partition& p, std::string_view payload, uint32_t combo);

  std::string_view data() const { return {buf_.get(), size_}; }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  // A cached piece of escaped_: [offset, offset + length). length 0: not built yet.
  struct Piece {
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  struct ComboPieces {
    Piece connection;  // `,"connection":"…"` (empty when absent)
    Piece rest;        // `,"app":"…","page":"…","device":"…","browser":"…"` (present ones)
    bool built = false;
  };

  // Ensures room for `n` more bytes.
  void Reserve(size_t n);
  // The cached `"…"` of dictionary string `id`, building it if needed.
  Piece StringPiece(const Partition& p, uint32_t id);
  const ComboPieces& Combo(const Partition& p, uint32_t combo);
  const char* at(Piece piece) const { return escaped_.data() + piece.offset; }

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t capacity_ = 0;

  std::string escaped_;               // this partition's cached pieces, back to back
  std::vector<Piece> strings_;        // by dictionary id
  std::vector<ComboPieces> combos_;   // by combo id
  std::array<std::string, 16> type_prefix_;  // `{"type":"vital"` by EventType value
  std::string number_;                // AppendJsonNumber scratch
};

}  // namespace perfwatch::events
