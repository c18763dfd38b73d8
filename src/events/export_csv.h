#pragma once
// Formats stored events as CSV (RFC 4180) for GET /api/v1/events/export?format=csv.
// Columns (docs/api.md "GET /api/v1/events/export"): the fixed fields, in the order of the
// JSON lines, then `attributes`, the event's other fields as one compact JSON object (the
// attributes differ between event types and events, and the export is streamed, so they
// stay one column):
//   type,name,value,id,sessionId,url,timestamp,userAgent,connection,navigationType,
//   rating,app,page,device,browser,received,attributes
// A missing field is an empty cell; `value` is written as in the JSON lines; `timestamp`
// and `received` are Unix ms. A cell holding ',', '"', CR or LF is quoted with '"' and
// its quotes doubled; records end with CRLF; the header is the first record.
//
// EventCsvWriter mirrors EventJsonWriter (export_json.h): per partition it quotes each
// dictionary string and each dimension combo once and splices the cached bytes; only
// inline strings and the attributes are quoted per event. AppendEventCsv is the plain
// formatter of one decoded record; the two produce the same bytes (export_csv_test.cc).
//
// Thread safety: AppendEventCsv is a pure function. EventCsvWriter is not thread-safe (one
// per export); StartPartition and Append read the partition's dictionary and combos, so
// the caller holds the store's shared state lock around them.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/partition.h"

namespace perfwatch::events {

// The header record, CRLF included.
std::string_view EventCsvHeader();

// Appends the record of `r` (CRLF included) to `out`.
void AppendEventCsv(std::string& out, const RecordView& r);

// Appends `s` as one CSV cell (quoted when it must be).
void AppendCsvCell(std::string& out, std::string_view s);

class EventCsvWriter {
 public:
  EventCsvWriter();
  EventCsvWriter(const EventCsvWriter&) = delete;
  EventCsvWriter& operator=(const EventCsvWriter&) = delete;

  void AppendHeader();
  // Forgets the caches of the previous partition.
  void StartPartition(const Partition& p);
  // Appends the record `payload` (from `p`'s log) whose row has combo `combo`.
  Status Append(const Partition& p, std::string_view payload, uint32_t combo);

  std::string_view data() const { return {buf_.get(), size_}; }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }

 private:
  struct Piece {
    uint32_t offset = 0;
    uint32_t length = 0;
    bool built = false;
  };
  struct ComboPieces {
    Piece connection;  // `connection` cell
    Piece rest;        // `app,page,device,browser` cells with commas between them
    bool built = false;
  };

  void Reserve(size_t n);
  Piece StringPiece(const Partition& p, uint32_t id);
  const ComboPieces& Combo(const Partition& p, uint32_t combo);
  const char* at(Piece piece) const { return cached_.data() + piece.offset; }

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t capacity_ = 0;

  std::string cached_;               // this partition's quoted cells, back to back
  std::vector<Piece> strings_;       // by dictionary id
  std::vector<ComboPieces> combos_;  // by combo id
  std::string number_;               // value scratch
};

}  // namespace perfwatch::events
