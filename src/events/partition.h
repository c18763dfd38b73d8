#pragma once
// One time partition of the event store: a directory with one log (the durable copy of
// every event in [start_ms, start_ms + length_ms)) and the in-memory state rebuilt from
// it: the string dictionary, the dimension combinations ("combos"), the columnar rows
// that scans read, and the replace-on-repeat index.
//
// In-memory row layout (see docs/events.md): rows live in fixed chunks of 4096 rows, one
// array per column (time offset u32, combo id u32, value u32 (a short decimal, or an index
// into the chunk's list of other doubles), kind u8), 13 bytes per row, plus one u64 log
// offset per 16 rows. A row's full event (URL, user agent, ...) is read
// back from the log when needed.
//
// Thread safety: none inside. The store serialises mutation (append mutex + exclusive
// state lock) and reads rows, dictionary and combos under its shared state lock; the pair
// index is used only under the append mutex. The log writer has its own rules.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "events/dictionary.h"
#include "events/event.h"
#include "events/log_file.h"
#include "events/pair_index.h"

namespace perfwatch::events {

inline constexpr uint32_t kNoString = UINT32_MAX;  // an absent dimension in a combo
inline constexpr uint8_t kDeadRow = 0x80;           // kind bit: replaced by a later event

// In-memory kind byte of a row: type << 3 | vital (dead rows have kDeadRow set).
inline uint8_t RowKind(EventType type, Vital vital) {
  return static_cast<uint8_t>((static_cast<uint8_t>(type) << 3) | static_cast<uint8_t>(vital));
}

// A row's value is kept in 32 bits: a decimal k / 10^s (k < 2^29, s <= 6 in the top three
// bits) when that reproduces the double bit for bit (beacon values are decimals such as
// 2345.6 or 0.0123; IEEE division is correctly rounded, so k / 10^s is exactly the double
// the decimal parsed to), else (s == 7) an index into the chunk's `wide` list of doubles
// (NaN, negatives, -0, long fractions). 4 bytes instead of 8 per row.
struct RowChunk {
  static constexpr uint32_t kRows = 4096;
  static constexpr uint32_t kIndexEvery = 16;
  static constexpr uint32_t kWide = 7;
  static constexpr uint32_t kMantissaMask = (1u << 29) - 1;
  uint64_t offset[kRows / kIndexEvery];  // log offset of rows 0, 16, 32, ...
  uint32_t time_off[kRows];              // event time - partition start, ms
  uint32_t combo[kRows];
  uint32_t value[kRows];                 // see above; read with Value()
  uint8_t kind[kRows];
  std::vector<double> wide;              // values that are not short decimals

  double Value(uint32_t i) const {
    static constexpr double kPow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    const uint32_t v = value[i], s = v >> 29;
    if (s == kWide) [[unlikely]] return wide[v & kMantissaMask];
    return static_cast<double>(v & kMantissaMask) / kPow10[s];
  }
  void SetValue(uint32_t i, double v);
};

// One decoded record. String views borrow the payload or the dictionary.
struct RecordView {
  uint64_t seq_delta = 0;
  EventType type = EventType::kVital;
  Vital vital = Vital::kNone;
  std::string_view session_id, id;
  int64_t time_ms = 0, received_ms = 0;
  double value = 0;
  uint32_t combo = 0;  // set by ReplayRecord only
  std::array<std::string_view, kDimCount> dims;
  std::string_view name, url, user_agent, navigation_type, rating, attrs_json;
};

// A string field of a record as stored, for Export: a dictionary reference (`dict_id`;
// `bytes` is left empty, the dictionary holds them) or the bytes themselves (`dict_id` ==
// kNoString: written inline or defined by this record). Absent when both are empty/none.
struct StoredString {
  std::string_view bytes;
  uint32_t dict_id = kNoString;
  bool present() const { return dict_id != kNoString || !bytes.empty(); }
};

// A record decoded for Export without resolving dictionary references. The dimensions are
// validated but not returned: the row's combo id names them.
struct StoredRecordView {
  EventType type = EventType::kVital;
  int64_t time_ms = 0, received_ms = 0;
  double value = 0;
  StoredString session_id, id, name, url, user_agent, navigation_type, rating;
  std::string_view attrs_json;  // never in the dictionary
};

// 32-bit hash of a (session_id, id) pair for the PairIndex.
uint32_t PairHash(std::string_view session_id, std::string_view id);

class Partition {
 public:
  using Combo = std::array<uint32_t, kDimCount>;  // dictionary ids (kNoString: absent)

  // Per-partition dictionary budget for strings other than dimensions; beyond it new
  // strings are written inline. A string enters the dictionary only on its second
  // sighting (a small direct-mapped table of hashes remembers first sightings), so
  // one-off values (unique URLs, ids) never take dictionary memory.
  static constexpr size_t kDictionaryBudgetBytes = 1 << 20;
  static constexpr size_t kSeenSlots = 16384;

  Partition(std::filesystem::path dir, LogHeader header);
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  int64_t start_ms() const { return header_.start_ms; }
  int64_t end_ms() const { return header_.start_ms + header_.length_ms; }
  bool Contains(int64_t t) const { return t >= start_ms() && t < end_ms(); }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path log_path() const { return dir_ / "events.log"; }
  const LogHeader& header() const { return header_; }

  // The writer is attached after replay (or at creation).
  void AttachWriter(std::unique_ptr<LogWriter> writer) { writer_ = std::move(writer); }
  LogWriter* writer() const { return writer_.get(); }

  // ---- append path: caller holds the append mutex and the exclusive state lock.
  struct Mark {
    uint32_t dict_size, combos;
    uint64_t last_seq;
  };
  Mark GetMark() const { return {dict_.size(), static_cast<uint32_t>(combos_.size()), last_seq_}; }
  // Forgets dictionary strings and combos defined after `mark` (a failed write).
  void Rollback(const Mark& mark);
  // Appends the framed record of `e` (global sequence `seq`) to `out`, defining new
  // dictionary strings and combos as needed. Returns the row's combo id.
  uint32_t EncodeEvent(const EventInput& e, uint64_t seq, std::string& scratch, std::string& out);
  uint32_t AddRow(uint64_t offset, uint32_t time_off, uint8_t kind, uint32_t combo, double value);
  void MarkDead(uint32_t row);

  // ---- replay (single-threaded, before the store is shared).
  // Absolute sequence number of a record (its delta is the payload's first varint).
  bool PeekSeq(std::string_view payload, uint64_t* seq) const;
  // Decodes a record, applies its dictionary/combo definitions and adds its row.
  Status ReplayRecord(std::string_view payload, uint64_t offset, RecordView* out, uint32_t* row);
  // While set, record reads come from this view of the log instead of pread.
  void SetReplayView(std::string_view log) { replay_view_ = log; }

  // ---- reads: caller holds at least the shared state lock (or the append mutex).
  // Decodes a record without changing any state.
  Status DecodeRecord(std::string_view payload, RecordView* out) const;
  // Decodes a record like DecodeRecord (same validation) but keeps dictionary ids.
  Status DecodeStored(std::string_view payload, StoredRecordView* out) const;
  // The payload of `row`'s record, found through the sparse offset index, read from
  // `log` (a view of the whole log file) when non-empty, else via pread into `buf`.
  Result<std::string_view> RowPayload(uint32_t row, std::string_view log, std::string& buf) const;
  // True when row's record carries exactly this (session_id, id) pair.
  bool RowHasPair(uint32_t row, std::string_view session_id, std::string_view id) const;

  uint32_t row_count() const { return rows_; }
  uint64_t live_rows() const { return live_rows_; }
  const std::vector<std::unique_ptr<RowChunk>>& chunks() const { return chunks_; }
  const StringDictionary& dictionary() const { return dict_; }
  const std::vector<Combo>& combos() const { return combos_; }
  std::string_view DimString(uint32_t id) const { return id == kNoString ? std::string_view() : dict_.Get(id); }
  uint64_t last_seq() const { return last_seq_; }

  PairIndex& pairs() { return pairs_; }
  // Heap bytes held by the in-memory state (rows, dictionary, combos, pair index).
  size_t MemoryBytes() const;

 private:
  struct ComboHash {
    size_t operator()(const Combo& c) const;
  };
  void PutString(std::string& out, std::string_view s, bool dictionary, bool force);
  uint32_t InternCombo(const Combo& c);

  const std::filesystem::path dir_;
  const LogHeader header_;
  std::unique_ptr<LogWriter> writer_;

  StringDictionary dict_;
  std::vector<Combo> combos_;
  std::unordered_map<Combo, uint32_t, ComboHash> combo_ids_;
  std::vector<std::unique_ptr<RowChunk>> chunks_;
  uint32_t rows_ = 0;
  uint64_t live_rows_ = 0;
  uint64_t last_seq_ = 0;  // sequence number of the last record in the log
  PairIndex pairs_;
  std::unique_ptr<uint32_t[]> seen_;  // kSeenSlots hash fingerprints; allocated on first append
  std::string_view replay_view_;
  mutable std::string read_buf_;  // RowHasPair scratch (append mutex)
};

}  // namespace perfwatch::events
