#include "events/partition.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/hash.h"
#include "common/coding.h"

namespace perfwatch::events {
namespace {

// String field tags (low two bits of the tag varint; docs/format/events.md).
constexpr uint64_t kRef = 0;     // value: dictionary id
constexpr uint64_t kDefine = 1;  // value: length; bytes follow; becomes the next id
constexpr uint64_t kInline = 2;  // value: length; bytes follow; not in the dictionary

// Value encodings (one byte, then the value).
constexpr uint8_t kValueDouble = 0;   // 8 bytes IEEE-754
constexpr uint8_t kValueAbsent = 1;   // NaN, nothing follows
constexpr uint8_t kValueUint = 2;     // non-negative integer < 2^53, varint
constexpr uint8_t kValueFloat = 3;    // exactly representable as float: 4 bytes

// Non-dimension strings longer than this are written inline.
constexpr size_t kMaxDictionaryString = 1024;
// Dimension values are clipped to this many bytes (ingest never produces longer ones).
constexpr size_t kMaxDimBytes = 4096;

Status Corrupt(const char* what) { return DataLoss(std::string("bad event record: ") + what); }

}  // namespace

uint32_t PairHash(std::string_view session_id, std::string_view id) {
  return static_cast<uint32_t>(HashMix(HashBytes(session_id), HashBytes(id, 0x5851F42D4C957F2DULL)) >> 32);
}

size_t Partition::ComboHash::operator()(const Combo& c) const {
  uint64_t h = 0;
  for (uint32_t v : c) h = HashMix(h, v);
  return static_cast<size_t>(h);
}

Partition::Partition(std::filesystem::path dir, LogHeader header) : dir_(std::move(dir)), header_(header) {}

void Partition::Rollback(const Mark& mark) {
  for (size_t i = mark.combos; i < combos_.size(); ++i) combo_ids_.erase(combos_[i]);
  combos_.resize(mark.combos);
  dict_.Truncate(mark.dict_size);
  last_seq_ = mark.last_seq;
}

void Partition::PutString(std::string& out, std::string_view s, bool dictionary, bool force) {
  if (s.empty()) {
    PutVarint(out, kInline);
    return;
  }
  if (dictionary && (force || s.size() <= kMaxDictionaryString)) {
    if (auto id = dict_.Find(s)) {
      PutVarint(out, (static_cast<uint64_t>(*id) << 2) | kRef);
      return;
    }
    bool admit = force;
    if (!admit && dict_.MemoryBytes() < kDictionaryBudgetBytes) {
      if (!seen_) seen_ = std::make_unique<uint32_t[]>(kSeenSlots);  // zeroed
      uint64_t h = HashBytes(s);
      uint32_t& slot = seen_[h & (kSeenSlots - 1)];
      uint32_t fingerprint = static_cast<uint32_t>(h >> 32) | 1;
      admit = slot == fingerprint;
      slot = fingerprint;
    }
    if (admit) {
      dict_.Add(s);
      PutVarint(out, (s.size() << 2) | kDefine);
      out.append(s);
      return;
    }
  }
  PutVarint(out, (s.size() << 2) | kInline);
  out.append(s);
}

uint32_t Partition::InternCombo(const Combo& c) {
  auto [it, inserted] = combo_ids_.emplace(c, static_cast<uint32_t>(combos_.size()));
  if (inserted) combos_.push_back(c);
  return it->second;
}

uint32_t Partition::EncodeEvent(const EventInput& e, uint64_t seq, std::string& scratch, std::string& out) {
  scratch.clear();
  PutVarint(scratch, seq - last_seq_);
  last_seq_ = seq;
  scratch.push_back(static_cast<char>((static_cast<uint8_t>(e.type) << 4) | static_cast<uint8_t>(e.vital)));
  PutString(scratch, e.session_id, true, false);
  PutString(scratch, e.id, false, false);
  PutVarint(scratch, static_cast<uint64_t>(e.time_ms - header_.start_ms));
  PutVarint(scratch, ZigZag(e.received_ms - e.time_ms));
  double v = e.value;
  if (std::isnan(v)) {
    scratch.push_back(static_cast<char>(kValueAbsent));
  } else if (v >= 0 && v < 9007199254740992.0 && v == std::floor(v) && !std::signbit(v)) {
    scratch.push_back(static_cast<char>(kValueUint));
    PutVarint(scratch, static_cast<uint64_t>(v));
  } else if (static_cast<double>(static_cast<float>(v)) == v) {
    scratch.push_back(static_cast<char>(kValueFloat));
    float f = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    PutFixed32(scratch, bits);
  } else {
    scratch.push_back(static_cast<char>(kValueDouble));
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    PutFixed64(scratch, bits);
  }

  // The combo: a reference when this dimension tuple was seen before in the partition.
  std::array<std::string_view, kDimCount> dims;
  Combo combo;
  bool known = true;
  for (int d = 0; d < kDimCount; ++d) {
    dims[d] = e.dims[d].substr(0, kMaxDimBytes);
    if (dims[d].empty()) {
      combo[d] = kNoString;
    } else if (auto id = dict_.Find(dims[d])) {
      combo[d] = *id;
    } else {
      known = false;
    }
  }
  uint32_t combo_id;
  auto it = known ? combo_ids_.find(combo) : combo_ids_.end();
  if (it != combo_ids_.end()) {
    combo_id = it->second;
    PutVarint(scratch, (static_cast<uint64_t>(combo_id) << 2) | kRef);
  } else {
    PutVarint(scratch, kDefine);
    for (int d = 0; d < kDimCount; ++d) {
      PutString(scratch, dims[d], true, true);
      combo[d] = dims[d].empty() ? kNoString : *dict_.Find(dims[d]);
    }
    combo_id = InternCombo(combo);
  }
  PutString(scratch, e.name, true, false);
  PutString(scratch, e.url, true, false);
  PutString(scratch, e.user_agent, true, false);
  PutString(scratch, e.navigation_type, true, false);
  PutString(scratch, e.rating, true, false);
  PutString(scratch, e.attrs_json, false, false);
  AppendRecord(out, scratch);
  return combo_id;
}

RowChunk::RowChunk(uint32_t capacity) { Allocate(capacity, 8, 4, 4, 4); }

void RowChunk::Allocate(uint32_t capacity, uint32_t offset_bytes, uint32_t time_bytes, uint32_t combo_bytes,
                        uint32_t value_bytes) {
  // capacity is a multiple of 16, so every column starts 16-byte aligned; kind is last,
  // so a 3-byte column's 4-byte loads stay inside the allocation.
  const size_t groups = capacity / kIndexEvery;
  const size_t bytes = groups * offset_bytes + size_t{capacity} * (time_bytes + combo_bytes + value_bytes + 1);
  storage_.reset(new uint64_t[(bytes + 7) / 8]);  // uninitialised on purpose
  storage_bytes_ = (bytes + 7) / 8 * 8;
  uint8_t* p = reinterpret_cast<uint8_t*>(storage_.get());
  offset_ = p;
  p += groups * offset_bytes;
  value_ = p;
  p += size_t{capacity} * value_bytes;
  time_ = p;
  p += size_t{capacity} * time_bytes;
  combo_ = p;
  p += size_t{capacity} * combo_bytes;
  kind_ = p;
  capacity_ = capacity;
  offset_bytes_ = static_cast<uint8_t>(offset_bytes);
  time_bytes_ = static_cast<uint8_t>(time_bytes);
  combo_bytes_ = static_cast<uint8_t>(combo_bytes);
  value_bytes_ = static_cast<uint8_t>(value_bytes);
}

void RowChunk::Set(uint32_t i, uint64_t offset, uint32_t time_off, uint32_t combo, uint8_t kind, double value) {
  if (i % kIndexEvery == 0) std::memcpy(offset_ + size_t{i / kIndexEvery} * 8, &offset, 8);
  std::memcpy(time_ + size_t{i} * 4, &time_off, 4);
  std::memcpy(combo_ + size_t{i} * 4, &combo, 4);
  const uint32_t v = EncodeValue(value);
  std::memcpy(value_ + size_t{i} * 4, &v, 4);
  kind_[i] = kind;
}

void RowChunk::Grow(uint32_t capacity, uint32_t rows) {
  auto old = std::move(storage_);
  const uint8_t *old_offset = offset_, *old_time = time_, *old_combo = combo_, *old_value = value_, *old_kind = kind_;
  Allocate(capacity, 8, 4, 4, 4);
  std::memcpy(offset_, old_offset, size_t{(rows + kIndexEvery - 1) / kIndexEvery} * 8);
  std::memcpy(time_, old_time, size_t{rows} * 4);
  std::memcpy(combo_, old_combo, size_t{rows} * 4);
  std::memcpy(value_, old_value, size_t{rows} * 4);
  std::memcpy(kind_, old_kind, rows);
}

namespace {

constexpr uint32_t kMantissa21 = (1u << 21) - 1;
constexpr uint32_t kMantissa29 = (1u << 29) - 1;

// Writes the n u32s of `from` minus `base` as `bytes`-byte little-endian integers.
void Narrow(const uint8_t* from, uint32_t base, uint32_t n, uint32_t bytes, uint8_t* to) {
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t v = ColumnReader<4>{from}[i] - base;
    std::memcpy(to + size_t{i} * bytes, &v, bytes);
  }
}

// Smallest and largest of n u32s.
std::pair<uint32_t, uint32_t> Range(const uint8_t* col, uint32_t n) {
  uint32_t lo = UINT32_MAX, hi = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t v = ColumnReader<4>{col}[i];
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return {lo, hi};
}

}  // namespace

void RowChunk::Seal() {
  const uint32_t n = capacity_;
  const uint32_t groups = n / kIndexEvery;
  auto old = std::move(storage_);
  const uint8_t *old_offset = offset_, *old_time = time_, *old_combo = combo_, *old_value = value_, *old_kind = kind_;

  uint64_t omin = UINT64_MAX, omax = 0;
  for (uint32_t g = 0; g < groups; ++g) {
    uint64_t o;
    std::memcpy(&o, old_offset + size_t{g} * 8, 8);
    omin = std::min(omin, o);
    omax = std::max(omax, o);
  }
  const uint32_t offset_bytes = omax - omin <= UINT32_MAX ? 4 : 8;
  const auto [tmin, tmax] = Range(old_time, n);
  const auto [cmin, cmax] = Range(old_combo, n);
  const uint32_t time_bytes = tmax - tmin < (1u << 16) ? 2 : tmax - tmin < (1u << 24) ? 3 : 4;
  const uint32_t combo_bytes = cmax - cmin < (1u << 16) ? 2 : 4;
  uint32_t widened = 0;  // short decimals whose k needs more than 21 bits
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t v = ColumnReader<4>{old_value}[i];
    widened += (v >> 29) != kWide && (v & kMantissa29) > kMantissa21;
  }
  const uint32_t value_bytes = widened <= kMaxWidened ? 3 : 4;

  Allocate(n, offset_bytes, time_bytes, combo_bytes, value_bytes);
  time_base_ = time_bytes == 4 ? 0 : tmin;
  combo_base_ = combo_bytes == 4 ? 0 : cmin;
  offset_base_ = offset_bytes == 4 ? omin : 0;
  for (uint32_t g = 0; g < groups; ++g) {
    uint64_t o;
    std::memcpy(&o, old_offset + size_t{g} * 8, 8);
    o -= offset_base_;
    std::memcpy(offset_ + size_t{g} * offset_bytes, &o, offset_bytes);
  }
  Narrow(old_time, time_base_, n, time_bytes, time_);
  Narrow(old_combo, combo_base_, n, combo_bytes, combo_);
  if (value_bytes == 4) {
    std::memcpy(value_, old_value, size_t{n} * 4);
  } else {
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t v = ColumnReader<4>{old_value}[i];
      const uint32_t s = v >> 29, k = v & kMantissa29;
      if (s == kWide) {
        v = (kWide << 21) | k;
      } else if (k > kMantissa21) {
        v = (kWide << 21) | static_cast<uint32_t>(wide.size());
        wide.push_back(DecodeValue<4>(ColumnReader<4>{old_value}[i]));
      } else {
        v = (s << 21) | k;
      }
      std::memcpy(value_ + size_t{i} * 3, &v, 3);
    }
  }
  std::memcpy(kind_, old_kind, n);
  wide.shrink_to_fit();
  sealed_ = true;
}

uint32_t RowChunk::EncodeValue(double v) {
  static constexpr double kPow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  if (v >= 0 && v < 536870912.0) {  // also false for NaN
    uint64_t want;
    std::memcpy(&want, &v, 8);
    for (uint32_t s = 0; s < 7; ++s) {
      double scaled = v * kPow10[s];
      if (!(scaled < 536870912.0)) break;
      uint32_t k = static_cast<uint32_t>(std::nearbyint(scaled));
      double back = static_cast<double>(k) / kPow10[s];
      uint64_t got;
      std::memcpy(&got, &back, 8);
      if (got == want) return (s << 29) | k;
    }
  }
  wide.push_back(v);
  return (kWide << 29) | static_cast<uint32_t>(wide.size() - 1);
}

uint32_t Partition::AddRow(uint64_t offset, uint32_t time_off, uint8_t kind, uint32_t combo, double value) {
  const uint32_t i = rows_ % RowChunk::kRows;
  if (i == 0) {
    // A partition's first chunk starts small (a quiet partition costs a few KiB), later
    // ones at full size.
    chunks_.push_back(std::make_unique<RowChunk>(chunks_.empty() ? RowChunk::kFirstCapacity : RowChunk::kRows));
  }
  RowChunk& c = *chunks_.back();
  if (i == c.capacity()) c.Grow(std::min(2 * c.capacity(), RowChunk::kRows), i);
  c.Set(i, offset, time_off, combo, kind, value);
  if (i + 1 == RowChunk::kRows) c.Seal();
  ++live_rows_;
  return rows_++;
}

void Partition::MarkDead(uint32_t row) {
  uint8_t& k = chunks_[row / RowChunk::kRows]->mutable_kinds()[row % RowChunk::kRows];
  if (!(k & kDeadRow)) {
    k |= kDeadRow;
    --live_rows_;
  }
}

bool Partition::PeekSeq(std::string_view payload, uint64_t* seq) const {
  Decoder d(payload);
  uint64_t delta;
  if (!d.Varint(&delta)) return false;
  *seq = last_seq_ + delta;
  return true;
}

// Decodes `payload`. With `apply`, definitions are added to the dictionary and combos
// (replay); without, nothing is changed (DecodeRecord casts away const for that case).
static Status DecodeString(Decoder& d, StringDictionary& dict, bool apply, std::string_view* out, uint32_t* id) {
  uint64_t tag;
  if (!d.Varint(&tag)) return Corrupt("truncated string tag");
  uint64_t v = tag >> 2;
  switch (tag & 3) {
    case kRef:
      if (v >= dict.size()) return Corrupt("dictionary id out of range");
      *out = dict.Get(static_cast<uint32_t>(v));
      *id = static_cast<uint32_t>(v);
      return Status::Ok();
    case kDefine:
      if (!d.Bytes(v, out) || v == 0) return Corrupt("truncated string");
      if (apply) {
        if (v > StringDictionary::kMaxStringBytes) return Corrupt("dictionary string too long");
        *id = dict.Add(*out);
      } else {
        *id = kNoString;
      }
      return Status::Ok();
    case kInline:
      if (!d.Bytes(v, out)) return Corrupt("truncated string");
      *id = kNoString;
      return Status::Ok();
  }
  return Corrupt("bad string tag");
}

// Decodes the event time, the receive time and the value, which every event record
// carries in this order (docs/format/events.md).
static Status DecodeTimesAndValue(Decoder& d, const LogHeader& header, int64_t* time_ms, int64_t* received_ms,
                                  double* value) {
  uint64_t time_off, recv;
  if (!d.Varint(&time_off) || !d.Varint(&recv)) return Corrupt("truncated times");
  if (time_off >= static_cast<uint64_t>(header.length_ms)) return Corrupt("time outside the partition");
  *time_ms = header.start_ms + static_cast<int64_t>(time_off);
  *received_ms = *time_ms + UnZigZag(recv);
  uint8_t venc;
  if (!d.Byte(&venc)) return Corrupt("truncated value");
  switch (venc) {
    case kValueAbsent: *value = std::nan(""); break;
    case kValueUint: {
      uint64_t u;
      if (!d.Varint(&u)) return Corrupt("truncated value");
      *value = static_cast<double>(u);
      break;
    }
    case kValueFloat: {
      uint32_t bits;
      if (!d.Fixed32(&bits)) return Corrupt("truncated value");
      float f;
      std::memcpy(&f, &bits, 4);
      *value = f;
      break;
    }
    case kValueDouble: {
      uint64_t bits;
      if (!d.Fixed64(&bits)) return Corrupt("truncated value");
      std::memcpy(value, &bits, 8);
      break;
    }
    default: return Corrupt("bad value encoding");
  }
  return Status::Ok();
}

static Status DecodeBody(std::string_view payload, const LogHeader& header, StringDictionary& dict,
                         std::vector<Partition::Combo>* combos, bool apply, RecordView* r, bool* combo_defined,
                         Partition::Combo* combo) {
  Decoder d(payload);
  uint32_t ignored;
  uint8_t kind;
  if (!d.Varint(&r->seq_delta) || !d.Byte(&kind)) return Corrupt("truncated header");
  r->type = static_cast<EventType>(kind >> 4);
  r->vital = static_cast<Vital>(kind & 15);
  if ((kind >> 4) == 0 || (kind >> 4) >= kEventTypeCount || (kind & 15) >= kVitalCount) return Corrupt("bad kind");
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->session_id, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->id, &ignored));
  PW_RETURN_IF_ERROR(DecodeTimesAndValue(d, header, &r->time_ms, &r->received_ms, &r->value));
  uint64_t ctag;
  if (!d.Varint(&ctag)) return Corrupt("truncated combo");
  if ((ctag & 3) == kRef) {
    if ((ctag >> 2) >= combos->size()) return Corrupt("combo id out of range");
    r->combo = static_cast<uint32_t>(ctag >> 2);
    *combo_defined = false;
    const auto& c = (*combos)[r->combo];
    for (int k = 0; k < kDimCount; ++k) r->dims[k] = c[k] == kNoString ? std::string_view() : dict.Get(c[k]);
  } else if (ctag == kDefine) {
    *combo_defined = true;
    for (int k = 0; k < kDimCount; ++k) {
      PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->dims[k], &(*combo)[k]));
      if (apply && (*combo)[k] == kNoString && !r->dims[k].empty()) return Corrupt("inline dimension");
    }
  } else {
    return Corrupt("bad combo tag");
  }
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->name, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->url, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->user_agent, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->navigation_type, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->rating, &ignored));
  PW_RETURN_IF_ERROR(DecodeString(d, dict, apply, &r->attrs_json, &ignored));
  if (d.remaining() != 0) return Corrupt("trailing bytes");
  return Status::Ok();
}

Status Partition::DecodeRecord(std::string_view payload, RecordView* out) const {
  bool defined;
  Combo combo;
  // apply == false: neither the dictionary nor the combos are modified.
  return DecodeBody(payload, header_, const_cast<StringDictionary&>(dict_), const_cast<std::vector<Combo>*>(&combos_),
                    false, out, &defined, &combo);
}

// DecodeString without the dictionary lookup: a reference keeps only its (checked) id.
static Status DecodeStoredString(Decoder& d, uint32_t dict_size, StoredString* out) {
  uint64_t tag;
  if (!d.Varint(&tag)) return Corrupt("truncated string tag");
  uint64_t v = tag >> 2;
  switch (tag & 3) {
    case kRef:
      if (v >= dict_size) return Corrupt("dictionary id out of range");
      out->bytes = {};
      out->dict_id = static_cast<uint32_t>(v);
      return Status::Ok();
    case kDefine:
      if (!d.Bytes(v, &out->bytes) || v == 0) return Corrupt("truncated string");
      out->dict_id = kNoString;
      return Status::Ok();
    case kInline:
      if (!d.Bytes(v, &out->bytes)) return Corrupt("truncated string");
      out->dict_id = kNoString;
      return Status::Ok();
  }
  return Corrupt("bad string tag");
}

// Mirrors DecodeBody (apply == false): keep the two in step.
Status Partition::DecodeStored(std::string_view payload, StoredRecordView* r) const {
  Decoder d(payload);
  const uint32_t dict_size = dict_.size();
  uint64_t seq_delta;
  uint8_t kind;
  if (!d.Varint(&seq_delta) || !d.Byte(&kind)) return Corrupt("truncated header");
  r->type = static_cast<EventType>(kind >> 4);
  if ((kind >> 4) == 0 || (kind >> 4) >= kEventTypeCount || (kind & 15) >= kVitalCount) return Corrupt("bad kind");
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->session_id));
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->id));
  PW_RETURN_IF_ERROR(DecodeTimesAndValue(d, header_, &r->time_ms, &r->received_ms, &r->value));
  uint64_t ctag;
  if (!d.Varint(&ctag)) return Corrupt("truncated combo");
  if ((ctag & 3) == kRef) {
    if ((ctag >> 2) >= combos_.size()) return Corrupt("combo id out of range");
  } else if (ctag == kDefine) {
    StoredString dim;
    for (int k = 0; k < kDimCount; ++k) PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &dim));
  } else {
    return Corrupt("bad combo tag");
  }
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->name));
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->url));
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->user_agent));
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->navigation_type));
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &r->rating));
  StoredString attrs;
  PW_RETURN_IF_ERROR(DecodeStoredString(d, dict_size, &attrs));
  // A dictionary reference here cannot come from EncodeEvent; resolve it all the same.
  r->attrs_json = attrs.dict_id == kNoString ? attrs.bytes : dict_.Get(attrs.dict_id);
  if (d.remaining() != 0) return Corrupt("trailing bytes");
  return Status::Ok();
}

Status Partition::ReplayRecord(std::string_view payload, uint64_t offset, RecordView* out, uint32_t* row) {
  bool defined = false;
  Combo combo;
  Mark mark = GetMark();
  Status s = DecodeBody(payload, header_, dict_, &combos_, true, out, &defined, &combo);
  if (!s.ok()) {
    Rollback(mark);
    return s;
  }
  if (defined) out->combo = InternCombo(combo);
  last_seq_ += out->seq_delta;
  *row = AddRow(offset, static_cast<uint32_t>(out->time_ms - header_.start_ms), RowKind(out->type, out->vital),
                out->combo, out->value);
  return Status::Ok();
}

Result<std::string_view> Partition::RowPayload(uint32_t row, std::string_view log, std::string& buf) const {
  if (row >= rows_) return Internal("row out of range");
  const RowChunk& c = *chunks_[row / RowChunk::kRows];
  uint32_t i = row % RowChunk::kRows;
  uint64_t pos = c.GroupOffset(i / RowChunk::kIndexEvery);
  uint32_t skip = i % RowChunk::kIndexEvery;
  if (log.empty()) log = replay_view_;
  std::string_view view;
  uint64_t view_start = pos;
  size_t window = 4096;
  auto fetch = [&](uint64_t end) -> Status {  // make [view_start, end) available
    if (end <= view_start + view.size()) return Status::Ok();
    if (!log.empty()) {
      if (end > log.size()) return DataLoss("record runs past the end of " + log_path().string());
      view = log.substr(view_start);
      return Status::Ok();
    }
    if (!writer_) return Internal("partition has no log");
    while (window < end - view_start) window *= 2;
    PW_RETURN_IF_ERROR(writer_->ReadAt(view_start, window, buf));
    view = buf;
    if (end > view_start + view.size()) return DataLoss("record runs past the end of " + log_path().string());
    return Status::Ok();
  };
  for (uint32_t k = 0;; ++k) {
    uint64_t rel = pos - view_start;
    PW_RETURN_IF_ERROR(fetch(pos + 5));
    Decoder d(view.data() + rel + 4, view.size() - rel - 4);
    uint64_t len;
    if (!d.Varint(&len)) return DataLoss("bad record header in " + log_path().string());
    uint64_t hlen = static_cast<uint64_t>(d.position() - (view.data() + rel));
    PW_RETURN_IF_ERROR(fetch(pos + hlen + len));
    rel = pos - view_start;
    if (k == skip) return view.substr(rel + hlen, len);
    pos += hlen + len;
  }
}

bool Partition::RowHasPair(uint32_t row, std::string_view session_id, std::string_view id) const {
  auto payload = RowPayload(row, {}, read_buf_);
  if (!payload.ok()) return false;
  Decoder d(*payload);
  uint64_t seq;
  uint8_t kind;
  std::string_view s, i;
  uint32_t ignored;
  auto& dict = const_cast<StringDictionary&>(dict_);  // apply == false: read only
  if (!d.Varint(&seq) || !d.Byte(&kind)) return false;
  if (!DecodeString(d, dict, false, &s, &ignored).ok() || s != session_id) return false;
  if (!DecodeString(d, dict, false, &i, &ignored).ok()) return false;
  return i == id;
}

size_t Partition::MemoryBytes() const {
  size_t rows = chunks_.capacity() * sizeof(chunks_[0]);
  for (const auto& c : chunks_) rows += sizeof(RowChunk) + c->MemoryBytes();
  return rows + dict_.MemoryBytes() + (seen_ ? kSeenSlots * 4 : 0) + combos_.capacity() * sizeof(Combo) +
         combo_ids_.size() * (sizeof(Combo) + 32) + pairs_.MemoryBytes();
}

}  // namespace perfwatch::events
