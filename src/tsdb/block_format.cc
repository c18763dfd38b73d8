// meta.json encoding and a small parser for exactly the keys the block reader needs.
#include "tsdb/block_format.h"

#include <cerrno>
#include <cstdlib>

namespace perfwatch::tsdb {

std::string EncodeBlockMeta(const BlockMeta& m) {
  std::string out = "{\n";
  out += "  \"version\": " + std::to_string(m.version) + ",\n";
  out += "  \"mint\": " + std::to_string(m.mint) + ",\n";
  out += "  \"maxt\": " + std::to_string(m.maxt) + ",\n";
  out += "  \"numSeries\": " + std::to_string(m.num_series) + ",\n";
  out += "  \"numSamples\": " + std::to_string(m.num_samples) + ",\n";
  out += "  \"numChunks\": " + std::to_string(m.num_chunks) + ",\n";
  out += "  \"compaction\": {\n    \"level\": " + std::to_string(m.level) + ",\n    \"sources\": [";
  for (size_t i = 0; i < m.sources.size(); ++i) {
    out += i ? ", \"" : "\"";
    out += m.sources[i];  // block names: [0-9a-z-] only, no escaping needed
    out += '"';
  }
  out += "]\n  }\n}\n";
  return out;
}

namespace {

// Position just after `"key"` and the following ':' (whitespace allowed), or npos.
size_t FindKey(std::string_view json, std::string_view key) {
  std::string quoted = "\"" + std::string(key) + "\"";
  size_t p = json.find(quoted);
  if (p == std::string_view::npos) return p;
  p += quoted.size();
  while (p < json.size() && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r')) ++p;
  if (p >= json.size() || json[p] != ':') return std::string_view::npos;
  ++p;
  while (p < json.size() && (json[p] == ' ' || json[p] == '\t' || json[p] == '\n' || json[p] == '\r')) ++p;
  return p;
}

bool ParseInt(std::string_view json, std::string_view key, int64_t* out) {
  size_t p = FindKey(json, key);
  if (p == std::string_view::npos) return false;
  std::string digits;
  while (p < json.size() && (json[p] == '-' || (json[p] >= '0' && json[p] <= '9'))) digits += json[p++];
  if (digits.empty() || digits.size() > 20) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

}  // namespace

Result<BlockMeta> ParseBlockMeta(std::string_view json) {
  BlockMeta m;
  size_t first = json.find_first_not_of(" \t\r\n"), last = json.find_last_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{' || json[last] != '}') {
    return DataLoss("meta.json: not a JSON object");
  }
  int depth = 0;  // our keys and names hold no braces: they must balance
  for (char c : json) {
    depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    if (depth < 0) return DataLoss("meta.json: unbalanced braces");
  }
  if (depth != 0) return DataLoss("meta.json: truncated");
  int64_t version, mint, maxt, series, samples, chunks, level;
  if (!ParseInt(json, "version", &version) || !ParseInt(json, "mint", &mint) || !ParseInt(json, "maxt", &maxt) ||
      !ParseInt(json, "numSeries", &series) || !ParseInt(json, "numSamples", &samples) ||
      !ParseInt(json, "numChunks", &chunks) || !ParseInt(json, "level", &level)) {
    return DataLoss("meta.json: missing or malformed field");
  }
  if (version != kBlockFormatVersion) return DataLoss("meta.json: unsupported version " + std::to_string(version));
  if (mint > maxt || series < 0 || samples < 0 || chunks < 0 || level < 1 || level > 1000) {
    return DataLoss("meta.json: inconsistent values");
  }
  m.version = uint32_t(version);
  m.mint = mint;
  m.maxt = maxt;
  m.num_series = uint64_t(series);
  m.num_samples = uint64_t(samples);
  m.num_chunks = uint64_t(chunks);
  m.level = uint32_t(level);
  size_t p = FindKey(json, "sources");
  if (p == std::string_view::npos || p >= json.size() || json[p] != '[') return DataLoss("meta.json: no sources");
  size_t close = json.find(']', p);
  if (close == std::string_view::npos) return DataLoss("meta.json: unterminated sources");
  std::string_view list = json.substr(p + 1, close - p - 1);
  for (size_t q = 0; (q = list.find('"', q)) != std::string_view::npos;) {
    size_t e = list.find('"', q + 1);
    if (e == std::string_view::npos) return DataLoss("meta.json: unterminated source name");
    std::string_view name = list.substr(q + 1, e - q - 1);
    if (!ValidName(name)) return DataLoss("meta.json: bad source name");
    m.sources.emplace_back(name);
    q = e + 1;
  }
  return m;
}

}  // namespace perfwatch::tsdb
