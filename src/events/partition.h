#pragma once
// One time partition of the event store: a directory with one log (the durable copy of
// every event in [start_ms, start_ms + length_ms)) and the in-memory state rebuilt from
// it: the string dictionary, the dimension combinations ("combos"), the columnar rows
// that scans read, and the replace-on-repeat index.
//
// In-memory row layout (see docs/events.md and RowChunk below): rows live in chunks of
// 4096 rows, one array per column (time offset, combo id, value u32 (a short decimal, or
// an index into the chunk's list of other doubles), kind u8) plus the log offset of every
// 16th row; full chunks are sealed at the narrowest widths their rows allow (8.25-9.25
// bytes per row for a busy site). A row's full event (URL, user agent, ...) is read back from
// the log when needed. Row numbers are chunk * 4096 + index, fixed for the partition's life.
//
// Thread safety: none inside. The store serialises mutation (append mutex + exclusive
// state lock) and reads rows, dictionary and combos under its shared state lock; the pair
// index is used only under the append mutex. The log writer has its own rules.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
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
static_assert(std::endian::native == std::endian::little, "row columns are read as little-endian words");

// In-memory kind byte of a row: type << 3 | vital (dead rows have kDeadRow set).
inline uint8_t RowKind(EventType type, Vital vital) {
  return static_cast<uint8_t>((static_cast<uint8_t>(type) << 3) | static_cast<uint8_t>(vital));
}

// Element i of a column of kBytes-byte little-endian unsigned integers (2, 3 or 4). A
// 3-byte element is read as a 4-byte load masked to 24 bits: a 3-byte column is never the
// last one of its allocation.
template <int kBytes>
struct ColumnReader {
  static_assert(kBytes >= 2 && kBytes <= 4);
  static constexpr int kWidth = kBytes;
  const uint8_t* p;
  uint32_t operator[](uint32_t i) const {
    if constexpr (kBytes == 2) {
      uint16_t v;
      std::memcpy(&v, p + size_t{i} * 2, 2);
      return v;
    } else {
      uint32_t v;
      std::memcpy(&v, p + size_t{i} * kBytes, 4);
      return kBytes == 3 ? v & 0xFFFFFF : v;
    }
  }
};

// A chunk of up to kRows rows: one array per column, all in one allocation.
//
// A row's value is a decimal k / 10^s (s <= 6 in the top three bits, k below them) when
// that reproduces the double bit for bit (IEEE division is correctly rounded, so k / 10^s
// is exactly the double the decimal parsed to), else (s == 7) an index into `wide` (NaN,
// negatives, -0, long fractions, and in a 3-byte column k >= 2^21).
//
// While it is its partition's open (last) chunk it is written at full width: time u32
// (time_base 0), combo u32 (combo_base 0), value u32 (k < 2^29), the log offset of every
// kIndexEvery-th row u64. The first chunk of a partition starts with room for
// kFirstCapacity rows and doubles. When its last row is written the chunk is SEALED:
// re-encoded into an exactly sized allocation at the narrowest widths its rows allow:
//   time  = time_base + u16 when the chunk's times span < 2^16 ms (65 s), u24 when
//           < 2^24 ms (4.6 h), else u32;
//   combo = combo_base + u16 when its combo ids span < 2^16, else u32;
//   value = u24 (k < 2^21; larger k move to `wide`) unless more than kMaxWidened
//           values would move, else u32;
//   group log offset = offset_base + u32 when the chunk's records span < 4 GiB, else u64.
// kind (u8) stays writable after sealing (MarkDead). A busy site's sealed chunk costs
// 2 or 3 (time) + 2 + 3 + 1 bytes + 0.25 (offsets) per row.
//
// Readers get ColumnReaders through VisitColumns (one instantiation per width
// combination: no per-row branch on width).
class RowChunk {
 public:
  static constexpr uint32_t kRows = 4096;
  static constexpr uint32_t kIndexEvery = 16;
  static constexpr uint32_t kFirstCapacity = 256;
  static constexpr uint32_t kWide = 7;
  static constexpr uint32_t kMaxWidened = 512;  // 8 bytes each: a u24 value column saves 4096

  // An open chunk with room for `capacity` rows (a multiple of kIndexEvery, <= kRows).
  explicit RowChunk(uint32_t capacity);
  RowChunk(const RowChunk&) = delete;
  RowChunk& operator=(const RowChunk&) = delete;

  uint32_t capacity() const { return capacity_; }
  bool sealed() const { return sealed_; }
  uint32_t time_bytes() const { return time_bytes_; }    // 2, 3 or 4
  uint32_t combo_bytes() const { return combo_bytes_; }  // 2 or 4
  uint32_t value_bytes() const { return value_bytes_; }  // 3 or 4
  uint32_t offset_bytes() const { return offset_bytes_; }  // 4 or 8
  uint32_t time_base() const { return time_base_; }
  uint32_t combo_base() const { return combo_base_; }
  // Allocated bytes (columns, sparse offsets, wide values; not the object itself).
  size_t MemoryBytes() const { return storage_bytes_ + wide.capacity() * sizeof(double); }

  // Calls f(time, combo) with ColumnReaders; row i's time offset is time_base() +
  // time[i], its combo id combo_base() + combo[i].
  template <class F>
  void VisitTimeCombo(F&& f) const {
    auto with_combo = [&](auto time) {
      if (combo_bytes_ == 2) f(time, ColumnReader<2>{combo_});
      else f(time, ColumnReader<4>{combo_});
    };
    if (time_bytes_ == 2) with_combo(ColumnReader<2>{time_});
    else if (time_bytes_ == 3) with_combo(ColumnReader<3>{time_});
    else with_combo(ColumnReader<4>{time_});
  }
  // Calls f(time, combo, value) likewise; decode value[i] with DecodeValue<kBytes>.
  template <class F>
  void VisitColumns(F&& f) const {
    VisitTimeCombo([&](auto time, auto combo) {
      if (value_bytes_ == 3) f(time, combo, ColumnReader<3>{value_});
      else f(time, combo, ColumnReader<4>{value_});
    });
  }
  const uint8_t* kinds() const { return kind_; }
  uint8_t* mutable_kinds() { return kind_; }

  // The double of a kBytes-wide value v.
  template <int kBytes>
  double DecodeValue(uint32_t v) const {
    static constexpr double kPow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    constexpr int kShift = kBytes * 8 - 3;
    const uint32_t s = v >> kShift;
    if (s == kWide) [[unlikely]] return wide[v & ((1u << kShift) - 1)];
    return static_cast<double>(v & ((1u << kShift) - 1)) / kPow10[s];
  }

  // Single-row accessors (branch on width; not for scan loops).
  uint32_t Time(uint32_t i) const { return time_base_ + Read(time_, time_bytes_, i); }
  uint32_t Combo(uint32_t i) const { return combo_base_ + Read(combo_, combo_bytes_, i); }
  double Value(uint32_t i) const {
    const uint32_t v = Read(value_, value_bytes_, i);
    return value_bytes_ == 3 ? DecodeValue<3>(v) : DecodeValue<4>(v);
  }
  // Log offset of row g * kIndexEvery's record.
  uint64_t GroupOffset(uint32_t g) const {
    if (offset_bytes_ == 4) return offset_base_ + ColumnReader<4>{offset_}[g];
    uint64_t v;
    std::memcpy(&v, offset_ + size_t{g} * 8, 8);
    return v;
  }

  // ---- open chunks only.
  // Writes row i (< capacity()); `offset` is kept when i is a multiple of kIndexEvery.
  void Set(uint32_t i, uint64_t offset, uint32_t time_off, uint32_t combo, uint8_t kind, double value);
  // Moves the first `rows` rows into room for `capacity` rows.
  void Grow(uint32_t capacity, uint32_t rows);
  // Re-encodes the (full) chunk at the narrowest widths its rows allow.
  void Seal();

  std::vector<double> wide;  // values that are not short decimals

 private:
  static uint32_t Read(const uint8_t* col, uint32_t bytes, uint32_t i) {
    return bytes == 2 ? ColumnReader<2>{col}[i] : bytes == 3 ? ColumnReader<3>{col}[i] : ColumnReader<4>{col}[i];
  }
  uint32_t EncodeValue(double v);  // the u32 form
  void Allocate(uint32_t capacity, uint32_t offset_bytes, uint32_t time_bytes, uint32_t combo_bytes,
                uint32_t value_bytes);

  std::unique_ptr<uint64_t[]> storage_;
  size_t storage_bytes_ = 0;
  uint8_t* offset_ = nullptr;  // u64, or u32 deltas from offset_base_
  uint8_t* time_ = nullptr;
  uint8_t* combo_ = nullptr;
  uint8_t* value_ = nullptr;
  uint8_t* kind_ = nullptr;
  uint64_t offset_base_ = 0;
  uint32_t time_base_ = 0, combo_base_ = 0;
  uint32_t capacity_ = 0;
  uint8_t offset_bytes_ = 8, time_bytes_ = 4, combo_bytes_ = 4, value_bytes_ = 4;
  bool sealed_ = false;
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
  // Absolute time (ms) of `row`.
  int64_t RowTimeMs(uint32_t row) const {
    return start_ms() + chunks_[row / RowChunk::kRows]->Time(row % RowChunk::kRows);
  }
  // True when `row` was replaced by a later event (its kind has kDeadRow).
  bool RowDead(uint32_t row) const {
    return chunks_[row / RowChunk::kRows]->kinds()[row % RowChunk::kRows] & kDeadRow;
  }

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
  PairIndex pairs_{dir_};  // spills its runs into the partition directory
  std::unique_ptr<uint32_t[]> seen_;  // kSeenSlots hash fingerprints; allocated on first append
  std::string_view replay_view_;
  mutable std::string read_buf_;  // RowHasPair scratch (append mutex)
};

}  // namespace perfwatch::events
