#pragma once
// `perfwatch bundle report` (issue 17, item 4; docs/bundles.md): what a build folder ships.
// Per file and per chunk raw / gzip / brotli sizes (bundle_sizes.h), the largest modules
// and the modules bundled into several chunks when a stats file is given, identical files
// (by content), and growth against a baseline (a previous report's JSON, or the bundle
// results of the newest stored budget run).
//
// Stats files understood (ParseBundleStats detects which):
//   - rollup-plugin-visualizer `--template raw-data` (version 2: nodeParts / nodeMetas):
//     chunks = output files, modules with their rendered bytes per chunk;
//   - Vite's `build.manifest` (.vite/manifest.json): chunks (entry -> file + css), no sizes
//     of modules (the manifest has none);
//   - webpack's `stats.toJson()` / `webpack --json` (assets, chunks, modules with size;
//     concatenated modules' inner modules; multi-compiler `children`).
//
// File names are compared with the baseline by their key: the path with a content hash in
// the file name replaced by "[hash]" (HashlessKey), since a changed file gets a new hash.
//
// Thread safety: pure functions over values; safe from any thread.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budget/bundle_sizes.h"
#include "common/status.h"

namespace perfwatch::budget {

// What a stats file says about the build.
struct BundleStats {
  struct Chunk {
    std::string name;                // entry/chunk name, or the file when there is none
    std::vector<std::string> files;  // output files, relative to the build folder
  };
  struct Module {
    std::string id;                                    // source path as the bundler names it
    std::map<std::string, std::uint64_t> bytes_in;    // chunk name -> rendered bytes there
  };
  std::vector<std::string> formats;  // "rollup-visualizer" | "vite-manifest" | "webpack"
  std::vector<Chunk> chunks;
  std::vector<Module> modules;
};

// Parses one stats file (any of the three formats) into `out` (merging: a Vite manifest
// and a visualizer file of the same build may both be given). InvalidArgument with a
// one-line reason for anything else.
Status ParseBundleStats(std::string_view json, BundleStats& out);

// "assets/index-B2x_9aQz.js" -> "assets/index-[hash].js"; "main.3f2a1b4c5d.js" ->
// "main.[hash].js". A hash is the last '-' or '.' separated part of the name (before the
// extension) of 8 or more [A-Za-z0-9_-] characters holding a digit or an upper-case letter.
std::string HashlessKey(std::string_view path);

struct Sizes {
  std::uint64_t raw = 0, gzip = 0, brotli = 0;
};

enum class Compression { kRaw, kGzip, kBrotli };
std::string_view CompressionName(Compression c);
std::optional<Compression> ParseCompression(std::string_view s);

// A baseline: sizes per file key (HashlessKey; or a glob from a budget run, compared with
// the sum of the files it matches) and the total; a size may be known at some compressions
// only (a budget run keeps the compression its budget names).
struct BaselineSizes {
  std::optional<std::uint64_t> raw, gzip, brotli;
  std::optional<std::uint64_t>& at(Compression c);
  const std::optional<std::uint64_t>& at(Compression c) const;
};
struct BundleBaseline {
  std::string source;  // the file or "server app=NAME run ID", for messages
  std::map<std::string, BaselineSizes> files;
  std::optional<BaselineSizes> total;
};

// A previous `bundle report --format json` output.
Result<BundleBaseline> ParseReportBaseline(std::string_view json);
// The body of GET /api/v1/budget-runs (newest first): the first run's `bundle` results
// (name -> value at its compression; unit KB is 1024 bytes). NotFound-style
// InvalidArgument when there is no run or it has no bundle result.
Result<BundleBaseline> ParseRunsBaseline(std::string_view json);

struct BundleReportOptions {
  double max_growth = 0.2;  // fail when a file or the total grew by more than this ratio
  Compression compression = Compression::kGzip;  // the size growth is judged on
  size_t top_modules = 20;
};

struct BundleReport {
  struct File {
    std::string path, key;
    Sizes size;
  };
  struct ChunkRow {
    std::string name;
    std::vector<std::string> files;  // those present in the folder
    Sizes size;
  };
  struct ModuleRow {
    std::string id;
    std::uint64_t bytes = 0;  // rendered bytes, summed over the chunks it is in
    std::vector<std::string> chunks;
  };
  struct Duplicate {
    std::string kind;                 // "module" (one module in several chunks) | "content"
    std::string what;                 // module id, or the first file's path
    std::vector<std::string> where;   // chunk names, or the identical files
    std::uint64_t wasted_bytes = 0;   // bytes beyond the first copy (raw)
  };
  struct Growth {
    std::string key;  // a file key (or baseline glob), or "total"
    Compression compression = Compression::kGzip;  // options.compression when the baseline has it
    std::optional<std::uint64_t> before, after;    // before unset: new; after unset: removed
    double ratio = 0;                              // after / before - 1; 0 for new/removed
    bool over = false;
  };
  std::string root;
  std::vector<File> files;
  Sizes total;
  std::vector<ChunkRow> chunks;
  std::vector<ModuleRow> modules;  // largest first, at most options.top_modules
  std::vector<Duplicate> duplicates;
  std::vector<std::string> stats_formats;
  std::optional<std::string> baseline_source;
  std::vector<Growth> growth;  // files (by key) then "total"; empty without a baseline
  BundleReportOptions options;
  bool passed = true;  // no growth over options.max_growth
};

// Builds the report of `root` (MeasureFiles; throws std::runtime_error as it does).
BundleReport BuildBundleReport(const std::filesystem::path& root, const BundleStats* stats,
                               const BundleBaseline* baseline, const BundleReportOptions& options);

std::string RenderBundleReportJson(const BundleReport& r);
std::string RenderBundleReportTable(const BundleReport& r);
std::string RenderBundleReportMarkdown(const BundleReport& r);

}  // namespace perfwatch::budget
