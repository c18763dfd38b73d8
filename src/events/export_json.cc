#include "events/export_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/json_writer.h"
#include "events/export_pieces.h"

namespace perfwatch::events {
namespace {

using export_pieces::AttrsMembers;
using export_pieces::Put;
using export_pieces::PutInt;

void Field(std::string& out, std::string_view key_with_quotes, std::string_view value) {
  if (value.empty()) return;
  out.append(key_with_quotes);
  AppendJsonString(out, value);
}

// Copies a string literal (without its NUL); the size is a constant, so this inlines.
template <size_t N>
char* PutLiteral(char* out, const char (&s)[N]) {
  std::memcpy(out, s, N - 1);
  return out + N - 1;
}

constexpr size_t kSlack = 8;  // WriteJsonString (common/json_writer.h) stores up to 8 bytes past its result

}  // namespace

void AppendEventJson(std::string& out, const RecordView& r) {
  out.append("{\"type\":\"");
  out.append(EventTypeName(r.type));
  out.push_back('"');
  Field(out, ",\"name\":", r.name);
  if (!std::isnan(r.value)) {
    out.append(",\"value\":");
    AppendJsonNumber(out, r.value);
  }
  Field(out, ",\"id\":", r.id);
  Field(out, ",\"sessionId\":", r.session_id);
  Field(out, ",\"url\":", r.url);
  out.append(",\"timestamp\":");
  AppendJsonInt(out, r.time_ms);
  Field(out, ",\"userAgent\":", r.user_agent);
  Field(out, ",\"connection\":", r.dims[kConnection]);
  Field(out, ",\"navigationType\":", r.navigation_type);
  Field(out, ",\"rating\":", r.rating);
  Field(out, ",\"app\":", r.dims[kApp]);
  Field(out, ",\"page\":", r.dims[kPage]);
  Field(out, ",\"device\":", r.dims[kDevice]);
  Field(out, ",\"browser\":", r.dims[kBrowser]);
  out.append(",\"received\":");
  AppendJsonInt(out, r.received_ms);
  std::string_view members = AttrsMembers(r.attrs_json);
  if (!members.empty()) {
    out.push_back(',');
    out.append(members);
  }
  out.append("}\n");
}

EventJsonWriter::EventJsonWriter() {
  Reserve(96 << 10);
  for (size_t t = 0; t < type_prefix_.size(); ++t) {
    type_prefix_[t] = "{\"type\":\"";
    type_prefix_[t].append(EventTypeName(static_cast<EventType>(t)));
    type_prefix_[t].push_back('"');
  }
}

void EventJsonWriter::Reserve(size_t n) {
  if (capacity_ - size_ >= n) return;
  size_t capacity = std::max(capacity_ * 2, size_ + n);
  auto bigger = std::make_unique<char[]>(capacity);
  if (size_ > 0) std::memcpy(bigger.get(), buf_.get(), size_);
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

void EventJsonWriter::StartPartition(const Partition& p) {
  escaped_.clear();
  strings_.assign(p.dictionary().size(), Piece{});
  combos_.assign(p.combos().size(), ComboPieces{});
}

EventJsonWriter::Piece EventJsonWriter::StringPiece(const Partition& p, uint32_t id) {
  if (id >= strings_.size()) strings_.resize(std::max<size_t>(id + 1, p.dictionary().size()));
  Piece& piece = strings_[id];
  if (piece.length == 0) {
    size_t start = escaped_.size();
    AppendJsonString(escaped_, p.dictionary().Get(id));
    piece = {static_cast<uint32_t>(start), static_cast<uint32_t>(escaped_.size() - start)};
  }
  return piece;
}

const EventJsonWriter::ComboPieces& EventJsonWriter::Combo(const Partition& p, uint32_t combo) {
  if (combo >= combos_.size()) combos_.resize(std::max<size_t>(combo + 1, p.combos().size()));
  ComboPieces& pieces = combos_[combo];
  if (pieces.built) return pieces;
  const Partition::Combo& ids = p.combos()[combo];
  auto build = [&](std::initializer_list<std::pair<std::string_view, int>> fields) {
    size_t start = escaped_.size();
    for (const auto& [key, dim] : fields) Field(escaped_, key, p.DimString(ids[dim]));
    return Piece{static_cast<uint32_t>(start), static_cast<uint32_t>(escaped_.size() - start)};
  };
  pieces.connection = build({{",\"connection\":", kConnection}});
  pieces.rest = build({{",\"app\":", kApp}, {",\"page\":", kPage}, {",\"device\":", kDevice}, {",\"browser\":", kBrowser}});
  pieces.built = true;
  return pieces;
}

Status EventJsonWriter::Append(const Partition& p, std::string_view payload, uint32_t combo) {
  StoredRecordView r;
  PW_RETURN_IF_ERROR(p.DecodeStored(payload, &r));
  if (combo >= p.combos().size()) return Internal("row combo id out of range");
  const ComboPieces dims = Combo(p, combo);

  // Resolve every string first: building a cached piece may move escaped_.
  struct Str {
    bool present = false;
    Piece cached;          // dictionary strings
    std::string_view raw;  // the others, escaped while writing
    size_t bound() const { return cached.length > 0 ? cached.length : 6 * raw.size() + 2; }
  };
  auto resolve = [&](const StoredString& s) {
    Str out;
    out.present = s.present();
    if (s.dict_id != kNoString) out.cached = StringPiece(p, s.dict_id);
    else out.raw = s.bytes;
    return out;
  };
  const Str name = resolve(r.name), id = resolve(r.id), session = resolve(r.session_id), url = resolve(r.url),
            agent = resolve(r.user_agent), navigation = resolve(r.navigation_type), rating = resolve(r.rating);
  const bool has_value = !std::isnan(r.value);
  if (has_value) {
    number_.clear();
    AppendJsonNumber(number_, r.value);
  }
  std::string_view members = AttrsMembers(r.attrs_json);
  // Type prefix (<= 40), keys (~130), two integers (2 x 20), "}\n" and slack: 256 covers them.
  Reserve(256 + number_.size() + name.bound() + id.bound() + session.bound() + url.bound() + agent.bound() +
          navigation.bound() + rating.bound() + dims.connection.length + dims.rest.length + members.size() +
          kSlack);

  char* o = buf_.get() + size_;
  auto put_str = [&](char* out, const Str& s) {
    return s.cached.length > 0 ? Put(out, {at(s.cached), s.cached.length}) : WriteJsonString(out, s.raw);
  };
  o = Put(o, type_prefix_[static_cast<uint8_t>(r.type)]);
  if (name.present) o = put_str(PutLiteral(o, ",\"name\":"), name);
  if (has_value) o = Put(PutLiteral(o, ",\"value\":"), number_);
  if (id.present) o = put_str(PutLiteral(o, ",\"id\":"), id);
  if (session.present) o = put_str(PutLiteral(o, ",\"sessionId\":"), session);
  if (url.present) o = put_str(PutLiteral(o, ",\"url\":"), url);
  o = PutInt(PutLiteral(o, ",\"timestamp\":"), r.time_ms);
  if (agent.present) o = put_str(PutLiteral(o, ",\"userAgent\":"), agent);
  o = Put(o, {at(dims.connection), dims.connection.length});
  if (navigation.present) o = put_str(PutLiteral(o, ",\"navigationType\":"), navigation);
  if (rating.present) o = put_str(PutLiteral(o, ",\"rating\":"), rating);
  o = Put(o, {at(dims.rest), dims.rest.length});
  o = PutInt(PutLiteral(o, ",\"received\":"), r.received_ms);
  if (!members.empty()) {
    *o++ = ',';
    o = Put(o, members);
  }
  o = PutLiteral(o, "}\n");
  size_ = static_cast<size_t>(o - buf_.get());
  return Status::Ok();
}

}  // namespace perfwatch::events
