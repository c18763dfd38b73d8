// EventStore's read side: ScanVitals (columnar scan of the in-memory rows) and Export
// (JSON lines from the logs, in time order per partition).
#include <sys/mman.h>

#include <algorithm>
#include <unordered_map>

#include "common/hash.h"
#include "common/coding.h"
#include "common/time.h"
#include "events/event_store_impl.h"
#include "events/export_csv.h"
#include "events/export_json.h"

namespace perfwatch::events {
namespace {

constexpr size_t kExportChunkBytes = 64 << 10;

// The partition's time-offset range covering [from_ms, to_ms]; false when disjoint.
bool OffsetRange(const Partition& p, int64_t from_ms, int64_t to_ms, uint32_t* lo, uint32_t* hi) {
  if (to_ms < p.start_ms() || from_ms >= p.end_ms() || from_ms > to_ms) return false;
  *lo = static_cast<uint32_t>(std::max(from_ms, p.start_ms()) - p.start_ms());
  *hi = static_cast<uint32_t>(std::min(to_ms, p.end_ms() - 1) - p.start_ms());
  return true;
}

struct KeyHash {
  size_t operator()(const Partition::Combo& c) const {
    uint64_t h = 0;
    for (uint32_t v : c) h = HashMix(h, v);
    return static_cast<size_t>(h);
  }
};

// A read-only mapping of the first `size` bytes of a log (Export's temporary view).
class LogMapping {
 public:
  LogMapping(int fd, uint64_t size) : size_(size) {
    if (size_ == 0) return;
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, size_, MADV_SEQUENTIAL);
      base_ = static_cast<const char*>(p);
    }
  }
  ~LogMapping() {
    if (base_) ::munmap(const_cast<char*>(base_), size_);
  }
  LogMapping(const LogMapping&) = delete;
  LogMapping& operator=(const LogMapping&) = delete;
  bool ok() const { return base_ != nullptr; }
  std::string_view view() const { return {base_, size_}; }

 private:
  const char* base_ = nullptr;
  uint64_t size_;
};

// A row chosen for export. `offset` starts as the log offset of the row's 16-row group
// (the sparse index) and LocateRecords turns it into that of the row's payload.
struct SelectedRow {
  uint64_t offset;
  uint32_t row;
  uint32_t combo;
  uint32_t length;  // payload bytes, set by LocateRecords
};

// Rows ahead whose record is prefetched while formatting (records are read in time order,
// which is not log order).
constexpr size_t kPrefetchAhead = 8;

// The framing of the record at `pos` (crc32c, length varint): its payload and end.
Status RecordAt(std::string_view log, uint64_t pos, std::string_view* payload, uint64_t* end) {
  if (pos + 4 >= log.size()) return DataLoss("record runs past the end of the log");
  Decoder d(log.data() + pos + 4, log.size() - pos - 4);
  uint64_t len;
  if (!d.Varint(&len)) return DataLoss("bad record header");
  uint64_t start = static_cast<uint64_t>(d.position() - log.data());
  if (len > log.size() - start) return DataLoss("record runs past the end of the log");
  *payload = log.substr(start, len);
  *end = start + len;
  return Status::Ok();
}

// Finds the payload of every row in `rows` (ascending rows): from the group's indexed
// offset, or from the previous row's record when it is in the same group, walking
// record by record, so each group's records are read once, in log order.
Status LocateRecords(std::string_view log, std::vector<SelectedRow>& rows) {
  constexpr uint32_t kNone = UINT32_MAX;
  uint32_t next_row = kNone;  // the row whose record starts at next_pos
  uint64_t next_pos = 0;
  for (SelectedRow& s : rows) {
    uint32_t r = s.row & ~(RowChunk::kIndexEvery - 1);
    uint64_t pos = s.offset;
    if (next_row != kNone && next_row / RowChunk::kIndexEvery == s.row / RowChunk::kIndexEvery && next_row <= s.row) {
      r = next_row;
      pos = next_pos;
    }
    std::string_view payload;
    for (;; ++r) {
      PW_RETURN_IF_ERROR(RecordAt(log, pos, &payload, &pos));
      if (r == s.row) break;
    }
    s.offset = static_cast<uint64_t>(payload.data() - log.data());
    s.length = static_cast<uint32_t>(payload.size());
    next_row = s.row + 1;
    next_pos = pos;
  }
  return Status::Ok();
}

// ScanVitals' hot loop over one chunk, one instantiation per column width. Pass 1 picks
// the rows of the wanted kind inside the time range without a branch (a kind matches
// ~1 row in 5 in no predictable order; dead rows never match: their kind has kDeadRow);
// pass 2 appends their values to their group (-1: filtered out) and step. Row time is
// time_base + time[i], so time - lo == time[i] + adj with adj = time_base - lo (mod 2^32).
// `step_of(time offset in the partition)` is the row's step (StepOf) or always 0 (NoSteps).
template <class Time, class Combo, int kValueBytes, class StepOfFn>
void ScanChunk(const RowChunk& c, Time time, Combo combo, ColumnReader<kValueBytes> value, uint32_t n, uint8_t want,
               uint32_t adj, uint32_t span, const int32_t* group_of, uint32_t steps, StepOfFn step_of,
               std::vector<std::vector<double>>& values) {
  const uint8_t* kind = c.kinds();
  uint16_t picked[RowChunk::kRows];
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; ++i) {
    picked[m] = static_cast<uint16_t>(i);
    m += (kind[i] == want) & (time[i] + adj <= span);
  }
  const uint32_t time_base = c.time_base();
  for (uint32_t k = 0; k < m; ++k) {
    const uint32_t i = picked[k];
    const int32_t g = group_of[combo[i]];
    if (g >= 0) {
      values[static_cast<size_t>(g) * steps + step_of(time_base + time[i])].push_back(c.DecodeValue<kValueBytes>(value[i]));
    }
  }
}

struct NoSteps {
  uint32_t operator()(uint32_t) const { return 0; }
};

// The step of a row at `offset` ms into a partition starting at `start_ms`, counted from
// the partition's first step in range.
struct StepOf {
  int64_t start_ms, step_ms, first_step;
  uint32_t operator()(uint32_t offset) const {
    return static_cast<uint32_t>(FloorDiv(start_ms + offset, step_ms) - first_step);
  }
};

// Both scans: `step_ms` 0 is one step covering everything (ScanVitals); `emit(g, step, key)`.
template <class StoreImpl, class Emit>
Status ScanVitalsImpl(const StoreImpl& m, const VitalScan& scan, int64_t step_ms, int64_t max_steps, Emit emit) {
  const uint8_t want = RowKind(EventType::kVital, scan.vital);
  if (step_ms > 0) PW_RETURN_IF_ERROR(CheckVitalSteps(scan, step_ms, max_steps));
  std::vector<std::vector<double>> values;  // per group and step, reused across partitions
  std::vector<Partition::Combo> group_keys;
  std::unordered_map<Partition::Combo, int32_t, KeyHash> group_ids;
  std::vector<int32_t> combo_group;

  std::shared_lock lock(m.state_mu);
  for (const auto& [start, part] : m.partitions) {
    const Partition& p = *part;
    uint32_t lo, hi;
    if (!OffsetRange(p, scan.from_ms, scan.to_ms, &lo, &hi)) continue;
    // Filters become dictionary ids; a value the partition never saw matches nothing.
    Partition::Combo filter_id;
    bool possible = true;
    for (int d = 0; d < kDimCount; ++d) {
      filter_id[d] = kNoString;
      if (!scan.filters[d]) continue;
      if (scan.filters[d]->empty()) continue;  // "" matches an absent dimension
      auto id = p.dictionary().Find(*scan.filters[d]);
      if (!id) possible = false;
      else filter_id[d] = *id;
    }
    if (!possible) continue;
    // Map each combo to its group (-1: filtered out).
    group_keys.clear();
    group_ids.clear();
    const auto& combos = p.combos();
    combo_group.assign(combos.size(), -1);
    for (size_t c = 0; c < combos.size(); ++c) {
      bool match = true;
      Partition::Combo key;
      for (int d = 0; d < kDimCount && match; ++d) {
        if (scan.filters[d] && combos[c][d] != filter_id[d]) match = false;
        key[d] = scan.group_by[d] ? combos[c][d] : kNoString;
      }
      if (!match) continue;
      auto [it, inserted] = group_ids.emplace(key, static_cast<int32_t>(group_keys.size()));
      if (inserted) group_keys.push_back(key);
      combo_group[c] = it->second;
    }
    if (group_keys.empty()) continue;
    StepOf step_of{p.start_ms(), step_ms > 0 ? step_ms : 1, 0};
    uint32_t steps = 1;
    if (step_ms > 0) {
      step_of.first_step = FloorDiv(p.start_ms() + lo, step_ms);
      steps = static_cast<uint32_t>(FloorDiv(p.start_ms() + hi, step_ms) - step_of.first_step + 1);
    }
    const size_t slots = group_keys.size() * steps;
    if (values.size() < slots) values.resize(slots);
    for (size_t g = 0; g < slots; ++g) values[g].clear();

    const uint32_t span = hi - lo;
    uint32_t rows = p.row_count();
    for (const auto& chunk : p.chunks()) {
      const uint32_t n = std::min(rows, RowChunk::kRows);
      rows -= n;
      const RowChunk& c = *chunk;
      const int32_t* group_of = combo_group.data() + c.combo_base();
      c.VisitColumns([&](auto time, auto combo, auto value) {
        if (step_ms > 0) {
          ScanChunk(c, time, combo, value, n, want, c.time_base() - lo, span, group_of, steps, step_of, values);
        } else {
          ScanChunk(c, time, combo, value, n, want, c.time_base() - lo, span, group_of, 1, NoSteps{}, values);
        }
      });
    }
    std::array<std::string_view, kDimCount> key;
    for (size_t g = 0; g < group_keys.size(); ++g) {
      for (int d = 0; d < kDimCount; ++d) key[d] = p.DimString(group_keys[g][d]);
      for (uint32_t st = 0; st < steps; ++st) {
        const std::vector<double>& v = values[g * steps + st];
        if (!v.empty()) emit(key, (step_of.first_step + st) * (step_ms > 0 ? step_ms : 0), v);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t VitalStepStart(int64_t time_ms, int64_t step_ms) { return FloorDiv(time_ms, step_ms) * step_ms; }

Status CheckVitalSteps(const VitalScan& scan, int64_t step_ms, int64_t max_steps) {
  if (scan.from_ms <= scan.to_ms && FloorDiv(scan.to_ms, step_ms) - FloorDiv(scan.from_ms, step_ms) + 1 > max_steps) {
    return InvalidArgument("the range holds more than " + std::to_string(max_steps) +
                           " steps: use a larger step or a shorter range");
  }
  return Status::Ok();
}

Status EventStore::ScanVitals(const VitalScan& scan, const VitalGroupFn& fn) const {
  return ScanVitalsImpl(*impl_, scan, 0, 1,
                        [&](const std::array<std::string_view, kDimCount>& key, int64_t, std::span<const double> v) {
                          fn(key, v);
                        });
}

Status EventStore::ScanVitalSteps(const VitalScan& scan, int64_t step_ms, int64_t max_steps,
                                  const VitalStepFn& fn) const {
  if (step_ms <= 0) return InvalidArgument("step must be positive");
  return ScanVitalsImpl(*impl_, scan, step_ms, max_steps, fn);
}

namespace {

// The partitions holding events in [from_ms, to_ms], taken under the state lock so that
// the reader keeps them alive after retention drops them from the map.
template <class StoreImpl>
std::vector<std::shared_ptr<Partition>> PartitionsInRange(const StoreImpl& m, int64_t from_ms, int64_t to_ms) {
  std::vector<std::shared_ptr<Partition>> parts;
  std::shared_lock lock(m.state_mu);
  for (const auto& [start, p] : m.partitions) {
    uint32_t lo, hi;
    if (OffsetRange(*p, from_ms, to_ms, &lo, &hi)) parts.push_back(p);
  }
  return parts;
}

// Export's body for one output format (EventJsonWriter or EventCsvWriter).
template <class StoreImpl, class Writer>
Status ExportWith(const StoreImpl& m, const ExportQuery& query, Writer& writer,
                  const std::function<bool(std::string_view)>& sink) {
  const std::vector<std::shared_ptr<Partition>> parts = PartitionsInRange(m, query.from_ms, query.to_ms);
  std::vector<SelectedRow> rows;  // the partition's matching rows, in row (= log) order
  std::vector<uint64_t> order;    // time_off << 32 | index in rows: sorting gives time order
  for (const auto& part : parts) {
    const Partition& p = *part;
    uint32_t lo = 0, hi = 0;
    OffsetRange(p, query.from_ms, query.to_ms, &lo, &hi);
    rows.clear();
    order.clear();
    uint64_t log_size;
    {
      std::shared_lock lock(m.state_mu);
      log_size = p.writer()->size();
      uint32_t left = p.row_count();
      uint32_t base = 0;
      for (const auto& chunk : p.chunks()) {
        const uint32_t n = std::min(left, RowChunk::kRows);
        left -= n;
        const RowChunk& c = *chunk;
        const uint8_t* kind = c.kinds();
        const uint32_t time_base = c.time_base(), combo_base = c.combo_base();
        c.VisitTimeCombo([&](auto time, auto combo) {
          uint64_t group_offset = 0;
          for (uint32_t i = 0; i < n; ++i) {
            if (i % RowChunk::kIndexEvery == 0) group_offset = c.GroupOffset(i / RowChunk::kIndexEvery);
            uint8_t k = kind[i];
            const uint32_t t = time_base + time[i];
            if ((k & kDeadRow) || t - lo > hi - lo) continue;
            if (query.type && (k >> 3) != static_cast<uint8_t>(*query.type)) continue;
            order.push_back((static_cast<uint64_t>(t) << 32) | rows.size());
            rows.push_back({group_offset, base + i, combo_base + combo[i], 0});
          }
        });
        base += n;
      }
      writer.StartPartition(p);
    }
    if (rows.empty()) continue;
    if (!std::is_sorted(order.begin(), order.end())) std::sort(order.begin(), order.end());
    LogMapping map(p.writer()->fd(), log_size);
    if (!map.ok()) return IoError("mmap " + p.log_path().string(), errno);
    const std::string_view log = map.view();
    // Records written before log_size never change: no lock needed to read them.
    PW_RETURN_IF_ERROR(LocateRecords(log, rows).WithContext("export " + p.log_path().string()));
    size_t i = 0;
    while (i < order.size()) {
      {
        // Dictionary and combos are read under the shared lock, one output chunk at a time.
        std::shared_lock lock(m.state_mu);
        for (; i < order.size() && writer.size() < kExportChunkBytes; ++i) {
          if (i + kPrefetchAhead < order.size()) {
            const SelectedRow& ahead = rows[static_cast<uint32_t>(order[i + kPrefetchAhead])];
            __builtin_prefetch(log.data() + ahead.offset);
            __builtin_prefetch(log.data() + ahead.offset + 64);
          }
          const SelectedRow& s = rows[static_cast<uint32_t>(order[i])];
          Status st = writer.Append(p, log.substr(s.offset, s.length), s.combo);
          if (!st.ok()) return st.WithContext("export " + p.log_path().string());
        }
      }
      if (writer.size() >= kExportChunkBytes) {
        if (!sink(writer.data())) return Status::Ok();
        writer.Clear();
      }
    }
  }
  if (writer.size() > 0) sink(writer.data());
  return Status::Ok();
}

}  // namespace

Status EventStore::Export(const ExportQuery& query, const std::function<bool(std::string_view)>& sink) const {
  if (query.format == ExportFormat::kCsv) {
    EventCsvWriter writer;
    writer.AppendHeader();
    return ExportWith(*impl_, query, writer, sink);
  }
  EventJsonWriter writer;
  return ExportWith(*impl_, query, writer, sink);
}

namespace {

// The live rows of `p` matching `scan` (time range [lo, hi] as offsets, type, vital,
// dimension filters), in row order. Requires the shared state lock.
void SelectPartitionRows(const Partition& p, const RecordScan& scan, uint32_t lo, uint32_t hi,
                         std::vector<char>& combo_ok, std::vector<SelectedRow>& rows) {
  // Combos passing the filters (a value the partition never saw matches nothing).
  const auto& combos = p.combos();
  combo_ok.assign(combos.size(), 1);
  for (int d = 0; d < kDimCount; ++d) {
    if (!scan.filters[d]) continue;
    uint32_t want = kNoString;
    if (!scan.filters[d]->empty()) {
      auto id = p.dictionary().Find(*scan.filters[d]);
      if (!id) {
        combo_ok.assign(combos.size(), 0);
        break;
      }
      want = *id;
    }
    for (size_t c = 0; c < combos.size(); ++c) combo_ok[c] &= combos[c][d] == want;
  }
  uint32_t left = p.row_count();
  uint32_t base = 0;
  for (const auto& chunk : p.chunks()) {
    const uint32_t n = std::min(left, RowChunk::kRows);
    left -= n;
    const RowChunk& c = *chunk;
    const uint8_t* kind = c.kinds();
    const uint32_t time_base = c.time_base(), combo_base = c.combo_base();
    c.VisitTimeCombo([&](auto time, auto combo) {
      for (uint32_t i = 0; i < n; ++i) {
        const uint8_t k = kind[i];
        const uint32_t t = time_base + time[i];
        if ((k & kDeadRow) || t - lo > hi - lo) continue;
        if (scan.type && (k >> 3) != static_cast<uint8_t>(*scan.type)) continue;
        if (scan.vital && (k & 0x07) != static_cast<uint8_t>(*scan.vital)) continue;
        const uint32_t cb = combo_base + combo[i];
        if (!combo_ok[cb]) continue;
        rows.push_back({c.GroupOffset(i / RowChunk::kIndexEvery), base + i, cb, 0});
      }
    });
    base += n;
  }
}

// Decodes `rows` (row order) of `p` from the first `log_size` bytes of its log and calls
// fn(row, record), taking the shared state lock per batch (the dictionary).
template <class Fn>
Status DecodeRows(std::shared_mutex& state_mu, const Partition& p, uint64_t log_size,
                  std::vector<SelectedRow>& rows, Fn&& fn) {
  if (rows.empty()) return Status::Ok();
  constexpr size_t kBatch = 4096;  // records decoded per hold of the shared lock
  LogMapping map(p.writer()->fd(), log_size);
  if (!map.ok()) return IoError("mmap " + p.log_path().string(), errno);
  const std::string_view log = map.view();
  PW_RETURN_IF_ERROR(LocateRecords(log, rows).WithContext("scan " + p.log_path().string()));
  RecordView rec;
  EventRecord out;
  for (size_t i = 0; i < rows.size();) {
    std::shared_lock lock(state_mu);  // the dictionary
    for (const size_t end = std::min(rows.size(), i + kBatch); i < end; ++i) {
      const SelectedRow& s = rows[i];
      Status st = p.DecodeRecord(log.substr(s.offset, s.length), &rec);
      if (!st.ok()) return st.WithContext("scan " + p.log_path().string());
      out.type = rec.type;
      out.vital = rec.vital;
      out.time_ms = rec.time_ms;
      out.received_ms = rec.received_ms;
      out.value = rec.value;
      for (int d = 0; d < kDimCount; ++d) out.dims[d] = p.DimString(p.combos()[s.combo][d]);
      out.session_id = rec.session_id;
      out.id = rec.id;
      out.name = rec.name;
      out.attrs_json = rec.attrs_json;
      fn(s.row, out);
    }
  }
  return Status::Ok();
}

}  // namespace

Status EventStore::ScanRecords(const RecordScan& scan, const std::function<void(const EventRecord&)>& fn) const {
  const Impl& m = *impl_;
  const std::vector<std::shared_ptr<Partition>> parts = PartitionsInRange(m, scan.from_ms, scan.to_ms);
  std::vector<SelectedRow> rows;
  std::vector<char> combo_ok;
  for (const auto& part : parts) {
    const Partition& p = *part;
    uint32_t lo = 0, hi = 0;
    OffsetRange(p, scan.from_ms, scan.to_ms, &lo, &hi);
    rows.clear();
    uint64_t log_size;
    {
      std::shared_lock lock(m.state_mu);
      log_size = p.writer()->size();
      SelectPartitionRows(p, scan, lo, hi, combo_ok, rows);
    }
    PW_RETURN_IF_ERROR(DecodeRows(m.state_mu, p, log_size, rows, [&](uint32_t, const EventRecord& r) { fn(r); }));
  }
  return Status::Ok();
}

Status EventStore::SelectRows(const RecordScan& scan, const std::function<Status(const SelectedRows&)>& fn) const {
  const Impl& m = *impl_;
  const std::vector<std::shared_ptr<Partition>> parts = PartitionsInRange(m, scan.from_ms, scan.to_ms);
  std::vector<SelectedRow> rows;
  std::vector<char> combo_ok;
  std::vector<uint32_t> numbers;
  for (const auto& part : parts) {
    const Partition& p = *part;
    uint32_t lo = 0, hi = 0;
    OffsetRange(p, scan.from_ms, scan.to_ms, &lo, &hi);
    rows.clear();
    SelectedRows out;
    {
      std::shared_lock lock(m.state_mu);
      out.row_count = p.row_count();
      SelectPartitionRows(p, scan, lo, hi, combo_ok, rows);
    }
    if (rows.empty()) continue;
    numbers.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) numbers[i] = rows[i].row;
    out.partition = part;
    out.start_ms = p.start_ms();
    out.rows = numbers;
    PW_RETURN_IF_ERROR(fn(out));
  }
  return Status::Ok();
}

Status EventStore::ReadRows(const std::shared_ptr<const void>& partition, uint32_t from_row, uint32_t to_row,
                            const std::function<bool(EventType, Vital)>& want, std::span<const uint32_t> only,
                            const std::function<void(uint32_t, const EventRecord&)>& fn) const {
  const Impl& m = *impl_;
  if (!partition) return InvalidArgument("read rows: no partition");
  const Partition& p = *static_cast<const Partition*>(partition.get());
  std::vector<SelectedRow> rows;
  uint64_t log_size;
  {
    std::shared_lock lock(m.state_mu);
    log_size = p.writer()->size();
    to_row = std::min(to_row, p.row_count());
    const auto& chunks = p.chunks();
    if (!only.empty()) {
      for (uint32_t r : only) {
        if (r >= to_row) return InvalidArgument("read rows: row " + std::to_string(r) + " out of range");
        const RowChunk& c = *chunks[r / RowChunk::kRows];
        const uint32_t i = r % RowChunk::kRows;
        rows.push_back({c.GroupOffset(i / RowChunk::kIndexEvery), r, c.Combo(i), 0});
      }
    } else {
      for (uint32_t ci = from_row / RowChunk::kRows; from_row < to_row && ci < chunks.size(); ++ci) {
        const RowChunk& c = *chunks[ci];
        const uint32_t base = ci * RowChunk::kRows;
        const uint32_t first = std::max(from_row, base) - base;
        const uint32_t last = std::min(to_row - base, RowChunk::kRows);
        const uint8_t* kind = c.kinds();
        for (uint32_t i = first; i < last; ++i) {
          const uint8_t k = kind[i];
          if (k & kDeadRow) continue;
          if (want && !want(static_cast<EventType>(k >> 3), static_cast<Vital>(k & 0x07))) continue;
          rows.push_back({c.GroupOffset(i / RowChunk::kIndexEvery), base + i, c.Combo(i), 0});
        }
      }
    }
  }
  return DecodeRows(m.state_mu, p, log_size, rows, fn);
}

std::vector<SelectedRows> EventStore::ListPartitions() const {
  const Impl& m = *impl_;
  std::vector<SelectedRows> out;
  std::shared_lock lock(m.state_mu);
  out.reserve(m.partitions.size());
  for (const auto& [start, p] : m.partitions) {
    SelectedRows s;
    s.partition = p;
    s.start_ms = p->start_ms();
    s.row_count = p->row_count();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace perfwatch::events
