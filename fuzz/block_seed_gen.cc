// Writes seeds for block_file_fuzzer: real blocks built with BlockWriter (a handful of
// shapes: one series, many series and labels, many small chunks and zstd groups, counters,
// floats, constants, stale markers), each packed in the fuzzer's input layout (see
// block_file_fuzzer.cc) once as written and once with the checksum-fixing flags set.
// Usage: block_seed_gen OUT_DIR   (e.g. fuzz/corpus/block_file)
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/log.h"
#include "tsdb/block_format.h"
#include "tsdb/block_writer.h"
#include "tsdb/labels.h"
#include "tsdb/stale.h"

using namespace perfwatch;
using namespace perfwatch::tsdb;
namespace fs = std::filesystem;

namespace {

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Pack(uint8_t flags, const std::string& meta, const std::string& index, const std::string& chunks) {
  std::string out;
  out += char(flags);
  out += char(meta.size() & 0xff);
  out += char((meta.size() >> 8) & 0xff);
  for (int i = 0; i < 4; ++i) out += char((index.size() >> (8 * i)) & 0xff);
  return out + meta + index + chunks;
}

struct Shape {
  const char* name;
  int series;
  int labels;       // extra labels per series besides __name__
  int samples;      // per series
  uint32_t chunk_samples;
  size_t group_bytes;
  int kind;         // 0 counter, 1 float, 2 constant, 3 with stale markers
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::off);
  const fs::path out_dir = argv[1];
  fs::create_directories(out_dir);
  const fs::path tmp = fs::temp_directory_path() / ("pw_block_seeds_" + std::to_string(::getpid()));
  fs::remove_all(tmp);

  // Names are block names: [0-9a-z-] only (ParseBlockMeta checks the sources list).
  const Shape shapes[] = {
      {"one-series", 1, 0, 5, 120, 256 << 10, 0},
      {"counters", 4, 2, 300, 120, 256 << 10, 0},
      {"floats-small-chunks", 6, 1, 200, 16, 512, 1},
      {"constants-many-groups", 10, 3, 64, 8, 128, 2},
      {"stale-markers", 3, 1, 50, 20, 1024, 3},
  };
  int written = 0;
  for (const Shape& sh : shapes) {
    BlockWriterOptions opts;
    opts.chunk_samples = sh.chunk_samples;
    opts.group_bytes = sh.group_bytes;
    auto w = BlockWriter::Create(tmp, sh.name, opts);
    if (!w.ok()) {
      std::fprintf(stderr, "%s\n", w.status().ToString().c_str());
      return 1;
    }
    // Label sets in increasing order: same __name__, increasing "i" label.
    for (int s = 0; s < sh.series; ++s) {
      std::vector<std::pair<std::string, std::string>> pairs = {{"__name__", "metric_" + std::string(sh.name)}};
      char idx[16];
      std::snprintf(idx, sizeof(idx), "%04d", s);
      pairs.emplace_back("i", idx);
      for (int l = 0; l < sh.labels; ++l) pairs.emplace_back("l" + std::to_string(l), "v" + std::to_string((s + l) % 3));
      std::vector<LabelView> views;
      for (const auto& [n, v] : pairs) views.push_back(LabelView{n, v});
      Labels labels = Labels::FromViews(views);
      std::vector<Sample> samples;
      for (int i = 0; i < sh.samples; ++i) {
        int64_t t = 1'700'000'000'000 + int64_t(i) * 15'000 + (sh.kind == 1 ? (i * 7) % 13 : 0);
        double v = sh.kind == 0 ? double(i * (s + 1)) : sh.kind == 1 ? 0.1 * i * i - s : sh.kind == 2 ? 42.0 : i;
        if (sh.kind == 3 && i % 10 == 9) v = StaleNaN();
        samples.push_back(Sample{t, v});
      }
      Status st = (*w)->AddSeries(labels.Views(), samples);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
    }
    auto meta = (*w)->Finish();
    if (!meta.ok()) {
      std::fprintf(stderr, "%s\n", meta.status().ToString().c_str());
      return 1;
    }
    const fs::path dir = tmp / sh.name;
    std::string m = ReadAll(dir / kMetaFileName), i = ReadAll(dir / kIndexFileName), c = ReadAll(dir / kChunksFileName);
    // flags: 0x00 as written; 0x0b fix both checksums, the block's range; 0x33 fix both, its
    // second half, a != matcher; 0xf9 fix the index checksum, one instant, !~ and __name__=~.
    for (uint8_t flags : {uint8_t(0x00), uint8_t(0x0b), uint8_t(0x33), uint8_t(0xf9)}) {
      char name[96];
      std::snprintf(name, sizeof(name), "%s_flags%02x", sh.name, flags);
      std::ofstream(out_dir / name, std::ios::binary) << Pack(flags, m, i, c);
      ++written;
    }
  }
  fs::remove_all(tmp);
  std::printf("wrote %d seeds to %s\n", written, out_dir.c_str());
  return 0;
}
