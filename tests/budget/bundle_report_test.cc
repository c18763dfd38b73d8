#include "budget/bundle_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using namespace perfwatch::budget;

namespace {

// testdata/bundle: real outputs. vite-dist, visualizer-raw-data.json and vite-manifest.json
// are one `vite build` (Vite 8.4.0, rollup-plugin-visualizer 7.1.3 --template raw-data,
// build.manifest) of a three-module app; webpack-dist and webpack-stats.json are webpack
// 5.112.2's build of the same modules with a second entry (stats.toJson()).
// __FILE__ is relative to the build directory under Ninja: when the test does not run
// from there (ctest runs it from build/tests), find the folder from the binary's place
// (<repo>/build-x/tests/budget_tests).
fs::path DataDir() {
  std::error_code ec;
  const fs::path rel = fs::path("tests") / "budget" / "testdata" / "bundle";
  fs::path from_source = fs::path(__FILE__).parent_path() / "testdata" / "bundle";
  if (fs::exists(from_source / "vite-manifest.json", ec)) return from_source;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / rel / "vite-manifest.json", ec)) return p / rel;
  }
  return from_source;
}
const fs::path kData = DataDir();

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

BundleStats Stats(std::initializer_list<const char*> files) {
  BundleStats s;
  for (const char* f : files) {
    auto st = ParseBundleStats(Read(kData / f), s);
    EXPECT_TRUE(st.ok()) << f << ": " << st.message();
  }
  return s;
}

const BundleStats::Chunk* FindChunk(const BundleStats& s, const std::string& name) {
  for (const auto& c : s.chunks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const BundleReport::ChunkRow* FindChunk(const BundleReport& r, const std::string& name) {
  for (const auto& c : r.chunks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const BundleReport::ModuleRow* FindModule(const BundleReport& r, const std::string& id) {
  for (const auto& m : r.modules) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

const BundleReport::Growth* FindGrowth(const BundleReport& r, const std::string& key) {
  for (const auto& g : r.growth) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

Sizes FileSizes(const BundleReport& r, const std::string& path) {
  for (const auto& f : r.files) {
    if (f.path == path) return f.size;
  }
  ADD_FAILURE() << "no file " << path;
  return {};
}

// A scratch build folder, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name = "dir")
      : path(fs::temp_directory_path() / ("pw-bundle-report-" + std::to_string(getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void Write(const std::string& rel, const std::string& data) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << data;
  }
};

std::string Code(int n, int seed) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "export const v" + std::to_string(i) + "=" + std::to_string(i * seed % 9973) + ";\n";
  return s;
}

}  // namespace

TEST(HashlessKey, ReplacesTheContentHashOfViteAndWebpackNames) {
  EXPECT_EQ(HashlessKey("assets/index-EXl-rHL5.js"), "assets/index-[hash].js");
  EXPECT_EQ(HashlessKey("assets/lazy-C3fcTWu-.js"), "assets/lazy-[hash].js");
  EXPECT_EQ(HashlessKey("assets/index-W1erjkBN.css"), "assets/index-[hash].css");
  EXPECT_EQ(HashlessKey("main.be1cbf4f.js"), "main.[hash].js");
  EXPECT_EQ(HashlessKey("480.8ab00d83.js"), "480.[hash].js");
  EXPECT_EQ(HashlessKey("js/vendor-react-dom-Ab12Cd34.js.map"), "js/vendor-react-dom-[hash].js.map");
  EXPECT_EQ(HashlessKey("app.3f2a1b4c5d6e7f8a9b0c.bundle.js"), "app.[hash].bundle.js");
  // Names, not hashes.
  EXPECT_EQ(HashlessKey("index.html"), "index.html");
  EXPECT_EQ(HashlessKey("assets/my-component.js"), "assets/my-component.js");
  EXPECT_EQ(HashlessKey("assets/my-component-2024.js"), "assets/my-component-2024.js");
  EXPECT_EQ(HashlessKey("favicon.ico"), "favicon.ico");
  EXPECT_EQ(HashlessKey("12345678.js"), "12345678.js");  // no name before the digits
}

TEST(BundleStats, ReadsRollupVisualizerRawDataOfAViteBuild) {
  BundleStats s = Stats({"visualizer-raw-data.json"});
  EXPECT_EQ(s.formats, std::vector<std::string>{"rollup-visualizer"});
  ASSERT_EQ(s.chunks.size(), 2u);
  ASSERT_NE(FindChunk(s, "assets/index-EXl-rHL5.js"), nullptr);
  ASSERT_NE(FindChunk(s, "assets/lazy-C3fcTWu-.js"), nullptr);
  bool util = false, preload = false;
  for (const auto& m : s.modules) {
    if (m.id == "/src/util.js") {
      util = true;
      EXPECT_EQ(m.bytes_in, (std::map<std::string, std::uint64_t>{{"assets/index-EXl-rHL5.js", 59}}));
    }
    if (m.id == "vite/preload-helper.js") preload = true;  // "\0" of the virtual module dropped
  }
  EXPECT_TRUE(util);
  EXPECT_TRUE(preload);
}

TEST(BundleStats, ReadsViteManifestChunks) {
  BundleStats s = Stats({"vite-manifest.json"});
  EXPECT_EQ(s.formats, std::vector<std::string>{"vite-manifest"});
  const auto* index = FindChunk(s, "index");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->files, (std::vector<std::string>{"assets/index-EXl-rHL5.js", "assets/index-W1erjkBN.css"}));
  const auto* lazy = FindChunk(s, "lazy");
  ASSERT_NE(lazy, nullptr);
  EXPECT_EQ(lazy->files, std::vector<std::string>{"assets/lazy-C3fcTWu-.js"});
  EXPECT_TRUE(s.modules.empty());  // a manifest has no module sizes
}

TEST(BundleReport, ViteBuildWithManifestAndVisualizerPerChunkAndModule) {
  BundleStats s = Stats({"vite-manifest.json", "visualizer-raw-data.json"});
  BundleReport r = BuildBundleReport(kData / "vite-dist", &s, nullptr, {});
  ASSERT_EQ(r.files.size(), 4u);
  Sizes total;
  for (const auto& f : r.files) {
    EXPECT_EQ(f.size.raw, fs::file_size(kData / "vite-dist" / f.path)) << f.path;
    total.raw += f.size.raw;
    total.gzip += f.size.gzip;
    total.brotli += f.size.brotli;
  }
  EXPECT_EQ(r.total.raw, total.raw);
  EXPECT_EQ(r.total.gzip, total.gzip);
  EXPECT_EQ(r.total.brotli, total.brotli);
  // The visualizer's per-file chunks fold into the manifest's named chunks.
  ASSERT_EQ(r.chunks.size(), 2u);
  const auto* index = FindChunk(r, "index");
  ASSERT_NE(index, nullptr);
  const Sizes js = FileSizes(r, "assets/index-EXl-rHL5.js"), css = FileSizes(r, "assets/index-W1erjkBN.css");
  EXPECT_EQ(index->size.raw, js.raw + css.raw);
  EXPECT_EQ(index->size.gzip, js.gzip + css.gzip);
  EXPECT_EQ(index->size.brotli, js.brotli + css.brotli);
  EXPECT_EQ(r.chunks[0].name, "index");  // largest first
  // Largest module: Vite's preload helper (3524 rendered bytes), in chunk "index".
  ASSERT_FALSE(r.modules.empty());
  EXPECT_EQ(r.modules[0].id, "vite/preload-helper.js");
  EXPECT_EQ(r.modules[0].bytes, 3524u);
  EXPECT_EQ(r.modules[0].chunks, std::vector<std::string>{"index"});
  const auto* lazy = FindModule(r, "/src/lazy.js");
  ASSERT_NE(lazy, nullptr);
  EXPECT_EQ(lazy->chunks, std::vector<std::string>{"lazy"});
  EXPECT_TRUE(r.duplicates.empty());  // Rollup never copies a module into two chunks
  EXPECT_TRUE(r.passed);
  EXPECT_TRUE(r.growth.empty());
}

TEST(BundleReport, WebpackStatsModulesChunksAndAModuleInTwoChunks) {
  BundleStats s = Stats({"webpack-stats.json"});
  EXPECT_EQ(s.formats, std::vector<std::string>{"webpack"});
  BundleReport r = BuildBundleReport(kData / "webpack-dist", &s, nullptr, {});
  ASSERT_EQ(r.chunks.size(), 3u);
  const auto* main = FindChunk(r, "main");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->files, std::vector<std::string>{"main.be1cbf4f.js"});
  EXPECT_EQ(main->size.gzip, FileSizes(r, "main.be1cbf4f.js").gzip);
  ASSERT_NE(FindChunk(r, "480"), nullptr);  // an unnamed async chunk goes by its id
  // util.js is in main on its own and concatenated into admin ("./src/admin.js + 1 modules").
  const auto* util = FindModule(r, "./src/util.js");
  ASSERT_NE(util, nullptr);
  EXPECT_EQ(util->chunks, (std::vector<std::string>{"admin", "main"}));
  EXPECT_EQ(util->bytes, 100u);
  const auto* admin = FindModule(r, "./src/admin.js");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->bytes, 68u);
  EXPECT_EQ(FindModule(r, "./src/admin.js + 1 modules"), nullptr);
  ASSERT_EQ(r.duplicates.size(), 1u);
  EXPECT_EQ(r.duplicates[0].kind, "module");
  EXPECT_EQ(r.duplicates[0].what, "./src/util.js");
  EXPECT_EQ(r.duplicates[0].where, (std::vector<std::string>{"admin", "main"}));
  EXPECT_EQ(r.duplicates[0].wasted_bytes, 50u);
  EXPECT_EQ(r.modules[0].id, "webpack/runtime/jsonp chunk loading");
}

TEST(BundleReport, IdenticalFilesAreDuplicatesByContentAndHiddenFilesAreSkipped) {
  TempDir d;
  d.Write("assets/a-Ab12Cd34.js", Code(300, 7));
  d.Write("copy/a.js", Code(300, 7));
  d.Write("assets/b-Xy98Zw76.js", Code(300, 11));
  d.Write(".vite/manifest.json", "{}");
  d.Write("empty1.txt", "");
  d.Write("empty2.txt", "");
  BundleReport r = BuildBundleReport(d.path, nullptr, nullptr, {});
  EXPECT_EQ(r.files.size(), 5u);
  for (const auto& f : r.files) EXPECT_NE(f.path, ".vite/manifest.json");
  ASSERT_EQ(r.duplicates.size(), 1u);
  EXPECT_EQ(r.duplicates[0].kind, "content");
  EXPECT_EQ(r.duplicates[0].where, (std::vector<std::string>{"assets/a-Ab12Cd34.js", "copy/a.js"}));
  EXPECT_EQ(r.duplicates[0].wasted_bytes, Code(300, 7).size());
  EXPECT_TRUE(r.chunks.empty());
  EXPECT_TRUE(r.modules.empty());
}

TEST(BundleReport, GrowthAgainstAPreviousJsonReportMatchesFilesAcrossHashes) {
  TempDir before("before"), after("after");
  before.Write("assets/index-Ab12Cd34.js", Code(400, 7));
  before.Write("assets/vendor-Qq11Rr22.js", Code(400, 13));
  before.Write("index.html", "<!doctype html><script src=assets/index-Ab12Cd34.js></script>");
  BundleReport first = BuildBundleReport(before.path, nullptr, nullptr, {});
  const std::string json = RenderBundleReportJson(first);
  auto baseline = ParseReportBaseline(json);
  ASSERT_TRUE(baseline.ok()) << baseline.status().message();
  baseline->source = "before.json";
  ASSERT_EQ(baseline->files.size(), 3u);
  EXPECT_EQ(*baseline->files["assets/index-[hash].js"].gzip, FileSizes(first, "assets/index-Ab12Cd34.js").gzip);
  EXPECT_EQ(*baseline->total->brotli, first.total.brotli);

  // Same build again: every item within budget.
  BundleReport same = BuildBundleReport(before.path, nullptr, &*baseline, {});
  EXPECT_TRUE(same.passed);
  ASSERT_EQ(same.growth.size(), 4u);  // 3 files + total
  for (const auto& g : same.growth) EXPECT_DOUBLE_EQ(g.ratio, 0.0) << g.key;

  // The index chunk doubles (new hash), vendor stays, a new chunk appears.
  after.Write("assets/index-Zz99Yy88.js", Code(800, 7));
  after.Write("assets/vendor-Qq11Rr22.js", Code(400, 13));
  after.Write("assets/extra-Mm55Nn66.js", Code(10, 3));
  after.Write("index.html", "<!doctype html><script src=assets/index-Zz99Yy88.js></script>");
  BundleReportOptions opts;
  BundleReport grown = BuildBundleReport(after.path, nullptr, &*baseline, opts);
  EXPECT_FALSE(grown.passed);
  const auto* index = FindGrowth(grown, "assets/index-[hash].js");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->compression, Compression::kGzip);
  EXPECT_EQ(*index->before, FileSizes(first, "assets/index-Ab12Cd34.js").gzip);
  EXPECT_EQ(*index->after, FileSizes(grown, "assets/index-Zz99Yy88.js").gzip);
  EXPECT_GT(index->ratio, 0.2);
  EXPECT_TRUE(index->over);
  const auto* vendor = FindGrowth(grown, "assets/vendor-[hash].js");
  ASSERT_NE(vendor, nullptr);
  EXPECT_FALSE(vendor->over);
  const auto* extra = FindGrowth(grown, "assets/extra-[hash].js");
  ASSERT_NE(extra, nullptr);
  EXPECT_FALSE(extra->before.has_value());
  EXPECT_FALSE(extra->over);
  ASSERT_NE(FindGrowth(grown, "total"), nullptr);

  // A generous limit passes the same build.
  opts.max_growth = 10;
  EXPECT_TRUE(BuildBundleReport(after.path, nullptr, &*baseline, opts).passed);
  // Judged on raw bytes when asked.
  opts.max_growth = 0.2;
  opts.compression = Compression::kRaw;
  BundleReport raw = BuildBundleReport(after.path, nullptr, &*baseline, opts);
  EXPECT_EQ(*FindGrowth(raw, "assets/index-[hash].js")->after, Code(800, 7).size());

  const std::string out = RenderBundleReportJson(grown);
  EXPECT_NE(out.find("\"status\":\"fail\""), std::string::npos);
  EXPECT_NE(out.find("\"status\":\"new\""), std::string::npos);
  EXPECT_NE(RenderBundleReportTable(grown).find("FAIL"), std::string::npos);
  EXPECT_NE(RenderBundleReportMarkdown(grown).find("| assets/index-[hash].js (gzip) |"), std::string::npos);
}

TEST(BundleReport, GrowthAgainstTheNewestBudgetRunsBundleResults) {
  TempDir d;
  d.Write("assets/index-Ab12Cd34.js", Code(400, 7));
  d.Write("assets/page-Ab12Cd35.js", Code(100, 5));
  BundleReport now = BuildBundleReport(d.path, nullptr, nullptr, {});
  const Sizes index = FileSizes(now, "assets/index-Ab12Cd34.js"), page = FileSizes(now, "assets/page-Ab12Cd35.js");
  // The first run is the newest; an index of 10 % less gzip, all JS as a glob in KB
  // (brotli only), a timing result that is not a bundle one.
  const std::string body =
      "{\"status\":\"success\",\"data\":[{\"id\":\"r2\",\"app\":\"shop\",\"results\":["
      "{\"kind\":\"bundle\",\"name\":\"assets/index-Qw12Er34.js\",\"compression\":\"gzip\",\"unit\":\"bytes\",\"value\":" +
      std::to_string(index.gzip * 10 / 11) +
      "},{\"kind\":\"bundle\",\"name\":\"assets/*.js\",\"compression\":\"brotli\",\"unit\":\"KB\",\"value\":" +
      std::to_string((index.brotli + page.brotli) / 2 / 1024.0) +
      "},{\"kind\":\"timing\",\"name\":\"interactive\",\"value\":3000}]},"
      "{\"id\":\"r1\",\"results\":[]}]}";
  auto baseline = ParseRunsBaseline(body);
  ASSERT_TRUE(baseline.ok()) << baseline.status().message();
  EXPECT_EQ(baseline->source, "budget run r2");
  EXPECT_EQ(baseline->files.size(), 2u);
  BundleReport r = BuildBundleReport(d.path, nullptr, &*baseline, {});
  const auto* one = FindGrowth(r, "assets/index-[hash].js");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(*one->after, index.gzip);
  EXPECT_FALSE(one->over);  // +10 %
  const auto* all = FindGrowth(r, "assets/*.js");
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->compression, Compression::kBrotli);
  EXPECT_EQ(*all->after, index.brotli + page.brotli);
  EXPECT_NEAR(all->ratio, 1.0, 0.01);  // doubled
  EXPECT_TRUE(all->over);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(FindGrowth(r, "total"), nullptr);  // a run has no total to compare with

  EXPECT_FALSE(ParseRunsBaseline("{\"status\":\"success\",\"data\":[]}").ok());
  EXPECT_FALSE(ParseRunsBaseline("{\"status\":\"success\",\"data\":[{\"id\":\"x\",\"results\":[]}]}").ok());
}

TEST(BundleStats, BadInputIsAOneLineError) {
  auto msg = [](std::string_view json) {
    BundleStats s;
    perfwatch::Status st = ParseBundleStats(json, s);
    EXPECT_FALSE(st.ok()) << json;
    EXPECT_EQ(st.message().find('\n'), std::string::npos);
    return st.message();
  };
  EXPECT_NE(msg("{").find("not JSON"), std::string::npos);
  EXPECT_NE(msg("[1,2]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(msg("{}").find("empty"), std::string::npos);
  EXPECT_NE(msg("{\"a\":1}").find("not a known stats file"), std::string::npos);
  EXPECT_NE(msg("{\"version\":1,\"nodeParts\":{},\"nodeMetas\":{}}").find("version"), std::string::npos);
  EXPECT_NE(msg("{\"version\":2,\"nodeParts\":{},\"nodeMetas\":{\"m\":{\"id\":\"x\",\"moduleParts\":{\"a.js\":\"p\"}}}}")
                .find("renderedLength"),
            std::string::npos);
  EXPECT_NE(msg("{\"chunks\":[1]}").find("webpack"), std::string::npos);
  EXPECT_NE(msg("{\"index.html\":{\"file\":\"a.js\"},\"x\":{}}").find("not a known stats file"), std::string::npos);
  EXPECT_FALSE(ParseReportBaseline("{\"files\":[{\"path\":\"a.js\"}]}").ok());
  EXPECT_FALSE(ParseReportBaseline("{\"root\":\"dist\"}").ok());
}

TEST(BundleReport, NotADirectoryThrowsTheOneLineReason) {
  EXPECT_THROW(BuildBundleReport("/nonexistent/dist", nullptr, nullptr, {}), std::runtime_error);
}
