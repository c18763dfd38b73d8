#pragma once
// Pieces shared by the export writers (export_json.cc, export_csv.cc): the stored
// attributes object's members, and raw copies into a buffer reserved by the caller.
//
// Thread safety: pure functions.
#include <charconv>
#include <cstring>
#include <string_view>

namespace perfwatch::events::export_pieces {

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// attrs_json is one compact object written by ingest: its members without the braces,
// empty when there are none.
inline std::string_view AttrsMembers(std::string_view attrs_json) {
  std::string_view attrs = Trim(attrs_json);
  if (attrs.size() > 2 && attrs.front() == '{' && attrs.back() == '}') return Trim(attrs.substr(1, attrs.size() - 2));
  return {};
}

// Copies s to out (which has room) and returns the end.
inline char* Put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// Writes v in decimal (at most 20 characters) and returns the end.
inline char* PutInt(char* out, long long v) { return std::to_chars(out, out + 24, v).ptr; }

}  // namespace perfwatch::events::export_pieces
