#include "budget/bundle_sizes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using perfwatch::budget::MeasureFiles;

namespace {

std::uint64_t CommandSize(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  char buf[64] = {};
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  return std::strtoull(out.c_str(), nullptr, 10);
}

}  // namespace

// The sizes are what zlib at level 9 (Python's gzip module, Node's zlib) and the brotli
// command-line tool write.
TEST(BundleSizes, MatchGzipAndBrotliCommandLineTools) {
  const fs::path dir = fs::temp_directory_path() / ("pw-bundle-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "assets");
  std::string js;
  for (int i = 0; i < 4000; ++i) js += "export function f" + std::to_string(i * 7919 % 1000) + "(a){return a+" + std::to_string(i) + ";}\n";
  std::ofstream(dir / "assets" / "index.js") << js;
  std::ofstream(dir / "index.html") << "<!doctype html><title>x</title><script src=assets/index.js></script>";
  const auto files = MeasureFiles(dir);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "assets/index.js");
  EXPECT_EQ(files[1].path, "index.html");
  EXPECT_LT(files[0].gzip, files[0].raw / 4);  // repetitive JS compresses well
  EXPECT_LT(files[0].brotli, files[0].gzip);
  for (const auto& f : files) {
    const std::string p = (dir / f.path).string();
    EXPECT_EQ(f.raw, fs::file_size(dir / f.path));
    EXPECT_EQ(f.gzip, CommandSize("python3 -c 'import gzip,sys; print(len(gzip.compress(open(sys.argv[1], \"rb\").read(), 9, mtime=0)))' '" + p + "'")) << f.path;
    if (std::system("command -v brotli >/dev/null 2>&1") == 0) {
      EXPECT_EQ(f.brotli, CommandSize("brotli -q 11 -c '" + p + "' | wc -c")) << f.path;
    }
  }
  fs::remove_all(dir);
}

TEST(BundleSizes, NotADirectoryIsAClearError) {
  try {
    MeasureFiles("/nonexistent/dist");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/dist: not a directory");
  }
}
