#include "alert/state_file.h"

#include "common/crc32c.h"
#include "common/file_util.h"

namespace perfwatch::alert {

void AppendRecord(std::string& out, std::string_view payload) {
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, Crc32c(payload.data(), payload.size()));
  out.append(payload);
}

std::vector<std::string_view> SplitRecords(std::string_view data, size_t* valid_bytes) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (data.size() - pos >= kRecordHeaderSize) {
    uint32_t len = LoadFixed32(data.data() + pos);
    uint32_t crc = LoadFixed32(data.data() + pos + 4);
    if (len > kMaxRecordSize || data.size() - pos - kRecordHeaderSize < len) break;
    std::string_view payload = data.substr(pos + kRecordHeaderSize, len);
    if (Crc32c(payload.data(), payload.size()) != crc) break;
    out.push_back(payload);
    pos += kRecordHeaderSize + len;
  }
  *valid_bytes = pos;
  return out;
}

Status WriteSnapshot(const std::filesystem::path& path, std::string_view magic,
                     const std::vector<std::string>& payloads) {
  std::string data(magic);
  for (const auto& p : payloads) AppendRecord(data, p);
  return WriteFileAtomically(path, data).WithContext("write snapshot");
}

Result<std::vector<std::string>> ReadSnapshot(const std::filesystem::path& path,
                                              std::string_view magic) {
  auto data = ReadFile(path);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) return std::vector<std::string>{};
    return data.status();
  }
  std::string_view view = *data;
  if (view.substr(0, magic.size()) != magic) return DataLoss(path.string() + ": bad magic");
  view.remove_prefix(magic.size());
  size_t valid = 0;
  auto records = SplitRecords(view, &valid);
  if (valid != view.size()) {
    return DataLoss(path.string() + ": damaged record at offset " +
                    std::to_string(valid + magic.size()));
  }
  std::vector<std::string> out;
  out.reserve(records.size());
  for (auto r : records) out.emplace_back(r);
  return out;
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

void PutLabelSet(std::string& out, const LabelSet& ls) {
  PutVarint(out, ls.size());
  for (const auto& [n, v] : ls) {
    PutString(out, n);
    PutString(out, v);
  }
}

bool GetLabelSet(Decoder& d, LabelSet* ls) {
  uint64_t n;
  if (!d.Varint(&n) || n > d.remaining()) return false;
  ls->clear();
  ls->reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!d.LengthPrefixed(&name) || !d.LengthPrefixed(&value)) return false;
    ls->emplace_back(std::string(name), std::string(value));
  }
  return true;
}

void PutAlert(std::string& out, const Alert& a) {
  PutLabelSet(out, a.labels);
  PutLabelSet(out, a.annotations);
  PutVarint(out, ZigZag(a.starts_at_ms));
  PutVarint(out, ZigZag(a.ends_at_ms));
  PutVarint(out, ZigZag(a.updated_at_ms));
  PutString(out, a.generator_url);
  out.push_back(a.timeout ? 1 : 0);
}

bool GetAlert(Decoder& d, Alert* a) {
  uint64_t starts, ends, updated;
  std::string_view url;
  uint8_t timeout;
  if (!GetLabelSet(d, &a->labels) || !GetLabelSet(d, &a->annotations) || !d.Varint(&starts) ||
      !d.Varint(&ends) || !d.Varint(&updated) || !d.LengthPrefixed(&url) || !d.Byte(&timeout)) {
    return false;
  }
  a->starts_at_ms = UnZigZag(starts);
  a->ends_at_ms = UnZigZag(ends);
  a->updated_at_ms = UnZigZag(updated);
  a->generator_url = std::string(url);
  a->timeout = timeout != 0;
  return true;
}

}  // namespace perfwatch::alert
