// libFuzzer target for WAL replay: arbitrary bytes after a valid segment header are
// written as the only WAL segment and replayed by Tsdb::Open, which must never crash or
// read out of bounds, must leave the segment truncated at its last good record (a second
// Open finds no torn tail or corruption), and must keep what it replayed across it.
// The same bytes are also given straight to the record decoders.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/crc32c.h"
#include "common/log.h"
#include "tsdb/record.h"
#include "tsdb/tsdb.h"
#include "tsdb/wal.h"

using namespace perfwatch;
using namespace perfwatch::tsdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // On tmpfs when there is one: Open fsyncs the segment it truncates and the directories,
  // which on a disk costs more than the replay itself.
  static const std::filesystem::path dir = [] {
    spdlog::set_level(spdlog::level::off);
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(base) + "/pw_wal_fuzz_XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    static const std::string top = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(top, ec);
    });
    return std::filesystem::path(tmpl);
  }();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!bytes.empty()) {
    auto ignore = [](auto&&...) { return Status::Ok(); };
    (void)DecodeSeriesRecord(bytes, ignore);
    (void)DecodeSamplesRecord(bytes, ignore);
    (void)DecodeChunksRecord(bytes, ignore);
  }

  std::error_code ec;
  std::filesystem::remove_all(dir / "db", ec);
  std::filesystem::create_directories(dir / "db" / "wal");
  {
    char header[kWalSegmentHeaderBytes];
    std::memcpy(header, kWalMagic, 8);
    uint32_t index = 1;
    std::memcpy(header + 8, &index, 4);
    uint32_t crc = Crc32c(header, 12);
    std::memcpy(header + 12, &crc, 4);
    std::ofstream out(dir / "db" / "wal" / WalSegmentName(1), std::ios::binary);
    out.write(header, sizeof(header));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  TsdbOptions opts;
  opts.dir = dir / "db";
  uint64_t samples = 0;
  {
    auto db = Tsdb::Open(opts, nullptr);
    if (!db.ok()) return 0;  // e.g. an I/O error; corruption itself is not an error
    samples = (*db)->head().Stats().samples;
  }
  auto again = Tsdb::Open(opts, nullptr);
  if (!again.ok()) std::abort();
  for (const std::string& p : (*again)->replay_report().problems) {
    // Record-level problems (a malformed payload behind a good checksum) repeat; framing
    // problems must not: the first Open truncated them away.
    if (p.find("torn tail") != std::string::npos || p.find("corrupt record") != std::string::npos) std::abort();
  }
  if ((*again)->head().Stats().samples != samples) std::abort();
  return 0;
}
