#pragma once
// Framing and file helpers shared by the notification pipeline's persisted state (the
// alert store and notification-log snapshots, the notification queue's log). A record is
// [u32 payload length][u32 CRC-32C of the payload][payload], little-endian; a snapshot
// file is an 8-byte magic followed by records. Formats: docs/format/alertmanager-state.md.
// Thread safety: stateless functions.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "common/coding.h"
#include "common/status.h"

namespace perfwatch::alert {

inline constexpr size_t kRecordHeaderSize = 8;
inline constexpr uint32_t kMaxRecordSize = 64u << 20;

// Appends one framed record to `out`.
void AppendRecord(std::string& out, std::string_view payload);

// Splits `data` into record payloads (views into `data`). Stops at the first record that
// is incomplete, oversized or fails its checksum; *valid_bytes is where it stopped.
std::vector<std::string_view> SplitRecords(std::string_view data, size_t* valid_bytes);

// Writes a snapshot: `magic` (8 bytes) then one record per payload, replacing `path`
// atomically (WriteFileAtomically in common/file_util.h).
Status WriteSnapshot(const std::filesystem::path& path, std::string_view magic,
                     const std::vector<std::string>& payloads);
// Reads a snapshot written by WriteSnapshot: an empty vector when the file is missing,
// DataLoss when the magic is wrong or a record is damaged.
Result<std::vector<std::string>> ReadSnapshot(const std::filesystem::path& path,
                                              std::string_view magic);

// Field encoding inside payloads: varint-prefixed strings, zig-zag varint times.
void PutString(std::string& out, std::string_view s);
void PutLabelSet(std::string& out, const LabelSet& ls);
bool GetLabelSet(Decoder& d, LabelSet* ls);
void PutAlert(std::string& out, const Alert& a);
bool GetAlert(Decoder& d, Alert* a);

}  // namespace perfwatch::alert
