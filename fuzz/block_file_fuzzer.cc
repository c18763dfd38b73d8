// libFuzzer target for persisted blocks (tsdb/block_reader.h, docs/format/blocks.md). The
// input is split into a block's three files, written to a directory on tmpfs (reused, no
// fsync) and opened with Block::Open; then every series and chunk is read through the
// querier and the low-level accessors, as queries, compaction and label APIs do.
//
// Input layout (block_seed_gen writes real blocks in it, fuzz/corpus/block_file/):
//   u8 flags, u16 meta.json length, u32 index length (little-endian, clamped to what is
//   left), meta.json bytes, index bytes, chunks bytes (the rest).
//   flags bit 0: recompute the index checksum so mutations get past it;
//         bit 1: recompute every chunk group's CRC-32C in the index's group table (then bit 0);
//         bit 2: leave the chunks file out; bits 3-4: which time range the queries use;
//         bits 5-7: which matchers the second Select uses.
// Contract checked: Open gives a block or DataLoss/Io (never a crash, leak, hang or huge
// allocation); reading a block that opened gives samples or a DataLoss status, and every
// sample a series iterator yields lies in the querier's range.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/crc32c.h"
#include "common/log.h"
#include "tsdb/block_format.h"
#include "tsdb/block_reader.h"

using namespace perfwatch;
using namespace perfwatch::tsdb;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool ErrorCodeOk(const Status& s) { return s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kIo; }

const std::filesystem::path& BlockDir() {
  static const std::filesystem::path dir = [] {
    spdlog::set_level(spdlog::level::off);
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(base) + "/pw_block_fuzz_XXXXXX";
    Check(::mkdtemp(tmpl.data()) != nullptr);
    std::filesystem::path d = std::filesystem::path(tmpl) / "01hblock-fuzz";
    std::filesystem::create_directories(d);
    static const std::string top = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(top, ec);
    });
    return d;
  }();
  return dir;
}

void WriteFile(const std::filesystem::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Check(fd >= 0);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    Check(n > 0);
    done += size_t(n);
  }
  ::close(fd);
}

// Rewrites the CRCs the reader checks, so that the fuzzer explores what lies behind them.
void FixChecksums(std::string& index, std::string_view chunks, bool groups) {
  const size_t n = index.size();
  if (n < kBlockFileHeaderSize + kIndexTocSize) return;
  auto* d = reinterpret_cast<uint8_t*>(index.data());
  const uint8_t* toc = d + n - kIndexTocSize;
  if (groups) {
    uint64_t group_off = LoadU64(toc + 32);
    if (group_off >= kBlockFileHeaderSize && group_off <= n - kIndexTocSize) {
      ByteReader r(d + group_off, toc);
      uint64_t ngroups = r.Uvarint();
      uint64_t file_off = kBlockFileHeaderSize;
      for (uint64_t i = 0; i < ngroups && r.ok(); ++i) {
        uint64_t c = r.Uvarint();
        r.Uvarint();
        if (!r.ok() || r.remaining() < 4) break;
        if (file_off <= chunks.size() && c <= chunks.size() - file_off) {
          uint32_t crc = Crc32c(chunks.data() + file_off, size_t(c));
          uint8_t* p = const_cast<uint8_t*>(r.pos());
          for (int b = 0; b < 4; ++b) p[b] = uint8_t(crc >> (8 * b));
        }
        r.U32();
        file_off += c;
      }
    }
  }
  uint32_t crc = Crc32c(d, n - 8);
  for (int b = 0; b < 4; ++b) d[n - kIndexTocSize + 56 + b] = uint8_t(crc >> (8 * b));
}

void CheckSeriesSet(SeriesSet& set, int64_t mint, int64_t maxt) {
  std::vector<Sample> samples;
  while (set.Next()) {
    const Series& s = set.At();
    (void)s.labels().size();
    samples.clear();
    Status st = s.AppendSamples(&samples);
    Check(st.ok() || ErrorCodeOk(st));
    // (Samples out of time order in corrupt but decodable chunks may make AppendSamples'
    // range trimming inexact; the iterator filters sample by sample.)
    SeriesIterator it = s.Iterator();
    while (it.Next()) Check(it.t() >= mint && it.t() <= maxt);
    Check(it.status().ok() || ErrorCodeOk(it.status()));
  }
  Check(set.status().ok() || ErrorCodeOk(set.status()));
}

void ReadBlock(const Block& block, uint8_t flags) {
  const BlockMeta& meta = block.meta();
  Check(block.num_series() == meta.num_series);

  // Low level: every series entry and every chunk group.
  std::vector<LabelView> labels;
  std::vector<Block::ChunkMeta> chunks;
  for (uint64_t id = 0; id < block.num_series(); ++id) {
    Status s = block.ReadSeries(id, &labels, &chunks);
    Check(s.ok() || ErrorCodeOk(s));
    for (const Block::ChunkMeta& c : chunks) {
      size_t g = block.FindGroup(c.raw_offset);
      Check(g <= block.groups().size());
    }
  }
  for (size_t g = 0; g < block.groups().size(); ++g) {
    auto raw = block.ReadGroup(g);
    Check(raw.ok() ? raw->size() == block.groups()[g].raw : ErrorCodeOk(raw.status()));
  }

  // Through the querier, as the query engine and the compactor read it.
  int64_t mint = INT64_MIN, maxt = INT64_MAX;
  switch ((flags >> 3) & 3) {
    case 1: mint = meta.mint, maxt = meta.maxt; break;
    case 2: mint = meta.mint + (meta.maxt - meta.mint) / 2, maxt = meta.maxt; break;
    case 3: mint = meta.mint, maxt = meta.mint; break;
  }
  auto q = block.NewQuerier(mint, maxt);
  {
    auto all = q->Select({});
    CheckSeriesSet(*all, mint, maxt);
  }
  auto names = q->LabelNames({});
  Check(names.ok() || ErrorCodeOk(names.status()));
  std::string first_name = "__name__", first_value = "x";
  if (names.ok() && !names->empty()) {
    first_name = names->front();
    auto values = q->LabelValues(first_name, {});
    Check(values.ok() || ErrorCodeOk(values.status()));
    if (values.ok() && !values->empty()) first_value = values->back();
  }
  MatchType types[] = {MatchType::kEqual, MatchType::kNotEqual, MatchType::kRegexMatch, MatchType::kRegexNoMatch};
  const uint8_t pick = flags >> 5;
  std::vector<Matcher> matchers;
  auto m = Matcher::Make(types[pick & 3], first_name, (pick & 3) >= 2 ? first_value + ".*" : first_value);
  if (m.ok()) matchers.push_back(*m);
  if (pick & 4) {
    auto any = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
    if (any.ok()) matchers.push_back(*any);
  }
  auto set = q->Select(matchers);
  CheckSeriesSet(*set, mint, maxt);
  auto names2 = q->LabelNames(matchers);
  Check(names2.ok() || ErrorCodeOk(names2.status()));
  auto values2 = q->LabelValues(first_name, matchers);
  Check(values2.ok() || ErrorCodeOk(values2.status()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 7 || size > (1 << 20)) return 0;
  const uint8_t flags = data[0];
  size_t meta_len = size_t(data[1]) | size_t(data[2]) << 8;
  size_t index_len = size_t(LoadU32(data + 3));
  std::string_view rest(reinterpret_cast<const char*>(data + 7), size - 7);
  meta_len = std::min(meta_len, rest.size());
  std::string_view meta = rest.substr(0, meta_len);
  rest.remove_prefix(meta_len);
  index_len = std::min(index_len, rest.size());
  std::string index(rest.substr(0, index_len));
  std::string_view chunks = rest.substr(index_len);
  if (flags & 3) FixChecksums(index, chunks, flags & 2);

  // The meta.json parser on its own.
  auto parsed = ParseBlockMeta(meta);
  Check(parsed.ok() || parsed.status().code() == StatusCode::kDataLoss);
  if (parsed.ok()) Check(parsed->mint <= parsed->maxt && parsed->level >= 1);

  const std::filesystem::path& dir = BlockDir();
  WriteFile(dir / kMetaFileName, meta);
  WriteFile(dir / kIndexFileName, index);
  if (flags & 4) {
    ::unlink((dir / kChunksFileName).c_str());
  } else {
    WriteFile(dir / kChunksFileName, chunks);
  }
  auto block = Block::Open(dir);
  static const bool verbose = std::getenv("PW_FUZZ_VERBOSE") != nullptr;  // when reproducing
  if (verbose) std::fprintf(stderr, "Block::Open: %s\n", block.ok() ? "OK" : block.status().ToString().c_str());
  if (!block.ok()) {
    Check(ErrorCodeOk(block.status()));
    return 0;
  }
  ReadBlock(**block, flags);
  return 0;
}
