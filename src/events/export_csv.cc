#include "events/export_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/json_writer.h"
#include "events/export_pieces.h"

namespace perfwatch::events {
namespace {

using export_pieces::Put;
using export_pieces::PutInt;

constexpr std::string_view kHeader =
    "type,name,value,id,sessionId,url,timestamp,userAgent,connection,navigationType,rating,app,page,device,"
    "browser,received,attributes\r\n";

bool NeedsQuotes(std::string_view s) {
  for (char c : s) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

// Writes `s` as a cell; at most 2 * s.size() + 2 bytes.
char* WriteCsvCell(char* out, std::string_view s) {
  if (!NeedsQuotes(s)) {
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
  }
  *out++ = '"';
  for (char c : s) {
    if (c == '"') *out++ = '"';
    *out++ = c;
  }
  *out++ = '"';
  return out;
}

// The attributes cell: the stored object, empty when it has no members.
std::string_view Attributes(std::string_view attrs_json) {
  if (export_pieces::AttrsMembers(attrs_json).empty()) return {};
  return export_pieces::Trim(attrs_json);
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) return;
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  AppendJsonNumber(out, v);
}

}  // namespace

std::string_view EventCsvHeader() { return kHeader; }

void AppendCsvCell(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + 2 * s.size() + 2);
  char* end = WriteCsvCell(out.data() + at, s);
  out.resize(static_cast<size_t>(end - out.data()));
}

void AppendEventCsv(std::string& out, const RecordView& r) {
  auto cell = [&](std::string_view s, bool comma = true) {
    AppendCsvCell(out, s);
    if (comma) out.push_back(',');
  };
  cell(EventTypeName(r.type));
  cell(r.name);
  AppendValue(out, r.value);
  out.push_back(',');
  cell(r.id);
  cell(r.session_id);
  cell(r.url);
  AppendJsonInt(out, r.time_ms);
  out.push_back(',');
  cell(r.user_agent);
  cell(r.dims[kConnection]);
  cell(r.navigation_type);
  cell(r.rating);
  cell(r.dims[kApp]);
  cell(r.dims[kPage]);
  cell(r.dims[kDevice]);
  cell(r.dims[kBrowser]);
  AppendJsonInt(out, r.received_ms);
  out.push_back(',');
  cell(Attributes(r.attrs_json), false);
  out.append("\r\n");
}

EventCsvWriter::EventCsvWriter() { Reserve(96 << 10); }

void EventCsvWriter::Reserve(size_t n) {
  if (capacity_ - size_ >= n) return;
  size_t capacity = std::max(capacity_ * 2, size_ + n);
  auto bigger = std::make_unique<char[]>(capacity);
  if (size_ > 0) std::memcpy(bigger.get(), buf_.get(), size_);
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

void EventCsvWriter::AppendHeader() {
  Reserve(kHeader.size());
  size_ = static_cast<size_t>(Put(buf_.get() + size_, kHeader) - buf_.get());
}

void EventCsvWriter::StartPartition(const Partition& p) {
  cached_.clear();
  strings_.assign(p.dictionary().size(), Piece{});
  combos_.assign(p.combos().size(), ComboPieces{});
}

EventCsvWriter::Piece EventCsvWriter::StringPiece(const Partition& p, uint32_t id) {
  if (id >= strings_.size()) strings_.resize(std::max<size_t>(id + 1, p.dictionary().size()));
  Piece& piece = strings_[id];
  if (!piece.built) {
    size_t start = cached_.size();
    AppendCsvCell(cached_, p.dictionary().Get(id));
    piece = {static_cast<uint32_t>(start), static_cast<uint32_t>(cached_.size() - start), true};
  }
  return piece;
}

const EventCsvWriter::ComboPieces& EventCsvWriter::Combo(const Partition& p, uint32_t combo) {
  if (combo >= combos_.size()) combos_.resize(std::max<size_t>(combo + 1, p.combos().size()));
  ComboPieces& pieces = combos_[combo];
  if (pieces.built) return pieces;
  const Partition::Combo& ids = p.combos()[combo];
  size_t start = cached_.size();
  AppendCsvCell(cached_, p.DimString(ids[kConnection]));
  pieces.connection = {static_cast<uint32_t>(start), static_cast<uint32_t>(cached_.size() - start), true};
  start = cached_.size();
  for (int dim : {kApp, kPage, kDevice, kBrowser}) {
    if (dim != kApp) cached_.push_back(',');
    AppendCsvCell(cached_, p.DimString(ids[dim]));
  }
  pieces.rest = {static_cast<uint32_t>(start), static_cast<uint32_t>(cached_.size() - start), true};
  pieces.built = true;
  return pieces;
}

Status EventCsvWriter::Append(const Partition& p, std::string_view payload, uint32_t combo) {
  StoredRecordView r;
  PW_RETURN_IF_ERROR(p.DecodeStored(payload, &r));
  if (combo >= p.combos().size()) return Internal("row combo id out of range");
  const ComboPieces dims = Combo(p, combo);

  // Resolve every string first: building a cached piece may move cached_.
  struct Str {
    Piece cached;
    std::string_view raw;
    size_t bound() const { return cached.built ? cached.length : 2 * raw.size() + 2; }
  };
  auto resolve = [&](const StoredString& s) {
    Str out;
    if (s.dict_id != kNoString) out.cached = StringPiece(p, s.dict_id);
    else out.raw = s.bytes;
    return out;
  };
  const Str name = resolve(r.name), id = resolve(r.id), session = resolve(r.session_id), url = resolve(r.url),
            agent = resolve(r.user_agent), navigation = resolve(r.navigation_type), rating = resolve(r.rating);
  number_.clear();
  AppendValue(number_, r.value);
  const std::string_view attrs = Attributes(r.attrs_json);
  const std::string_view type = EventTypeName(r.type);
  // 17 cells: 16 commas, CRLF, two integers (2 x 20).
  Reserve(64 + type.size() + number_.size() + name.bound() + id.bound() + session.bound() + url.bound() +
          agent.bound() + navigation.bound() + rating.bound() + dims.connection.length + dims.rest.length +
          2 * attrs.size() + 2);

  char* o = buf_.get() + size_;
  auto put_str = [&](char* out, const Str& s) {
    out = s.cached.built ? Put(out, {at(s.cached), s.cached.length}) : WriteCsvCell(out, s.raw);
    *out = ',';
    return out + 1;
  };
  o = Put(o, type);
  *o++ = ',';
  o = put_str(o, name);
  o = Put(o, number_);
  *o++ = ',';
  o = put_str(o, id);
  o = put_str(o, session);
  o = put_str(o, url);
  o = PutInt(o, r.time_ms);
  *o++ = ',';
  o = put_str(o, agent);
  o = Put(o, {at(dims.connection), dims.connection.length});
  *o++ = ',';
  o = put_str(o, navigation);
  o = put_str(o, rating);
  o = Put(o, {at(dims.rest), dims.rest.length});
  *o++ = ',';
  o = PutInt(o, r.received_ms);
  *o++ = ',';
  o = WriteCsvCell(o, attrs);
  *o++ = '\r';
  *o++ = '\n';
  size_ = static_cast<size_t>(o - buf_.get());
  return Status::Ok();
}

}  // namespace perfwatch::events
