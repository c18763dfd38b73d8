#include "common/data_formats.h"

#include <algorithm>

#include "common/file_util.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool ValidFormatName(std::string_view s) {
  if (s.empty() || s.size() > kFormatsMaxNameLength) return false;
  if (s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool ValidWrittenBy(std::string_view s) {
  if (s.empty() || s.size() > kFormatsMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// A decimal in 1..kFormatsMaxVersion without a leading zero, or nullopt.
std::optional<uint32_t> ParseVersion(std::string_view s) {
  if (s.empty() || s.size() > 7 || s.front() == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > kFormatsMaxVersion) return std::nullopt;
  return v;
}

Status LineError(size_t line, std::string_view what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + std::string(what));
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool AnyExists(const fs::path& dir, const std::vector<std::string>& paths) {
  std::error_code ec;
  for (const std::string& p : paths) {
    if (fs::exists(dir / p, ec)) return true;
  }
  return false;
}

const UpgradeStep* FindStep(std::span<const UpgradeStep> steps, std::string_view format, uint32_t from) {
  for (const UpgradeStep& s : steps) {
    if (s.format == format && s.from == from) return &s;
  }
  return nullptr;
}

uint32_t MinRead(const DataFormat& f) { return f.min_read_version == 0 ? f.version : f.min_read_version; }

}  // namespace

std::optional<uint32_t> FormatsRecord::Get(std::string_view format) const {
  for (const auto& [name, version] : versions) {
    if (name == format) return version;
  }
  return std::nullopt;
}

void FormatsRecord::Set(std::string_view format, uint32_t version) {
  for (auto& entry : versions) {
    if (entry.first == format) {
      entry.second = version;
      return;
    }
  }
  versions.emplace_back(std::string(format), version);
}

Result<FormatsRecord> ParseFormatsRecord(std::string_view text) {
  if (text.size() > kFormatsMaxBytes) {
    return InvalidArgument("larger than " + std::to_string(kFormatsMaxBytes) + " bytes");
  }
  FormatsRecord record;
  bool have_written_by = false;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    for (char c : line) {
      if ((static_cast<unsigned char>(c) < 0x20 && !IsBlank(c)) || static_cast<unsigned char>(c) >= 0x7f) {
        return LineError(line_no, "a character that is not printable ASCII");
      }
    }
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t gap = 0;
    while (gap < line.size() && !IsBlank(line[gap])) ++gap;
    std::string_view key = line.substr(0, gap);
    std::string_view value = line.substr(gap);
    while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
    if (value.empty() || std::any_of(value.begin(), value.end(), IsBlank)) {
      return LineError(line_no, "expected two fields, \"<format> <version>\" or \"written-by <perfwatch version>\"");
    }
    if (key == "written-by") {
      if (have_written_by) return LineError(line_no, "a second written-by line");
      if (!ValidWrittenBy(value)) {
        return LineError(line_no, "written-by must be 1 to " + std::to_string(kFormatsMaxNameLength) +
                                      " printable characters");
      }
      record.written_by = std::string(value);
      have_written_by = true;
      continue;
    }
    if (!ValidFormatName(key)) {
      return LineError(line_no, "format name " + Quote(key.substr(0, kFormatsMaxNameLength)) +
                                    " is not 1 to 64 of a-z, 0-9 and '-'");
    }
    std::optional<uint32_t> version = ParseVersion(value);
    if (!version) {
      return LineError(line_no, "version " + Quote(value.substr(0, 16)) + " of " + std::string(key) +
                                    " is not a whole number from 1 to " + std::to_string(kFormatsMaxVersion));
    }
    if (record.Get(key)) return LineError(line_no, "format " + std::string(key) + " named twice");
    if (record.versions.size() >= kFormatsMaxEntries) {
      return LineError(line_no, "more than " + std::to_string(kFormatsMaxEntries) + " formats");
    }
    record.versions.emplace_back(std::string(key), *version);
  }
  if (!have_written_by) return InvalidArgument("no written-by line");
  return record;
}

std::string FormatFormatsRecord(const FormatsRecord& record) {
  std::string out =
      "# perfwatch data format versions (docs/format/versions.md); rewritten at every start, do not edit\n";
  out += "written-by " + record.written_by + "\n";
  for (const auto& [name, version] : record.versions) out += name + " " + std::to_string(version) + "\n";
  return out;
}

Result<PrepareOutcome> PrepareDataDirectory(const fs::path& data_dir, std::span<const DataFormat> formats,
                                            std::span<const UpgradeStep> steps, std::string_view perfwatch_version) {
  const std::string where = "data directory " + data_dir.string();
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Status(StatusCode::kIo, "create " + where + ": " + ec.message());
  const fs::path path = data_dir / kFormatsFileName;

  PrepareOutcome outcome;
  FormatsRecord& record = outcome.record;
  auto text = ReadFile(path);
  if (text.ok()) {
    auto parsed = ParseFormatsRecord(*text);
    if (!parsed.ok()) {
      return InvalidArgument(where + ": malformed " + kFormatsFileName + " (docs/format/versions.md): " +
                             parsed.status().message());
    }
    record = std::move(parsed).value();
    outcome.had_record = true;
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status().WithContext(where);
  }

  // What the directory holds of each format: the record's word, else version 1 for data
  // written before versioning, else (nothing on disk) the version this binary will write.
  std::vector<uint32_t> have(formats.size());
  for (size_t i = 0; i < formats.size(); ++i) {
    const DataFormat& f = formats[i];
    if (std::optional<uint32_t> v = record.Get(f.name)) {
      have[i] = *v;
    } else {
      have[i] = AnyExists(data_dir, f.paths) ? 1 : f.version;
    }
  }
  // Everything is checked before anything changes: a refused directory is left as it was.
  for (size_t i = 0; i < formats.size(); ++i) {
    const DataFormat& f = formats[i];
    const std::string by = outcome.had_record ? "perfwatch " + record.written_by
                                               : std::string("a perfwatch without format versions");
    if (have[i] > f.version) {
      return InvalidArgument(where + " was written by " + by + " with " + f.name + " format version " +
                             std::to_string(have[i]) + "; this perfwatch reads up to " + std::to_string(f.version) +
                             ": upgrade perfwatch");
    }
    for (uint32_t v = have[i]; v < f.version; ++v) {
      if (FindStep(steps, f.name, v)) continue;
      if (v >= MinRead(f)) break;  // read as it is from here on
      return InvalidArgument(where + " was written by " + by + " with " + f.name + " format version " +
                             std::to_string(have[i]) + "; this perfwatch reads " + f.name + " versions " +
                             std::to_string(MinRead(f)) + " to " + std::to_string(f.version) +
                             " and has no upgrade from " + std::to_string(v));
    }
  }

  for (size_t i = 0; i < formats.size(); ++i) record.Set(formats[i].name, have[i]);
  record.written_by = std::string(perfwatch_version);
  for (size_t i = 0; i < formats.size(); ++i) {
    const DataFormat& f = formats[i];
    for (uint32_t v = have[i]; v < f.version; ++v) {
      const UpgradeStep* step = FindStep(steps, f.name, v);
      if (!step) break;  // checked above: read as it is
      const std::string what = f.name + " " + std::to_string(v) + " -> " + std::to_string(v + 1);
      PW_RETURN_IF_ERROR(step->run(data_dir).WithContext(where + ": upgrade " + what));
      record.Set(f.name, v + 1);
      PW_RETURN_IF_ERROR(WriteFileAtomically(path, FormatFormatsRecord(record)).WithContext(where));
      outcome.upgraded.push_back(what);
    }
    record.Set(f.name, f.version);
  }
  PW_RETURN_IF_ERROR(WriteFileAtomically(path, FormatFormatsRecord(record)).WithContext(where));
  return outcome;
}

}  // namespace perfwatch
