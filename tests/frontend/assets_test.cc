#include "frontend/assets.h"

#include <gtest/gtest.h>

#include <string>

#include "frontend/embedded.h"

namespace perfwatch::frontend {
namespace {

// With -DPERFWATCH_FRONTEND=OFF nothing is embedded: FindAsset must simply say so.
bool FrontendBuilt() { return !internal::EmbeddedFiles().empty(); }

TEST(AssetsTest, RumJsIsEmbeddedWithinBudget) {
  if (!FrontendBuilt()) GTEST_SKIP() << "built with PERFWATCH_FRONTEND=OFF";
  const Asset* rum = FindAsset("/rum.js");
  ASSERT_NE(rum, nullptr);
  EXPECT_EQ(rum->content_type, "application/javascript; charset=utf-8");
  EXPECT_GT(rum->body.size(), 1000u);
  EXPECT_LT(rum->body.size(), 64u * 1024);  // minified; 5120 bytes gzipped is checked by npm run size
  EXPECT_NE(rum->body.find("perfwatch"), std::string_view::npos);
  ASSERT_GE(rum->etag.size(), 3u);
  EXPECT_EQ(rum->etag.front(), '"');
  EXPECT_EQ(rum->etag.back(), '"');
}

TEST(AssetsTest, DirectoryPathsServeIndexHtml) {
  const Asset* index = FindAsset("/index.html");
  if (!index) GTEST_SKIP() << "no dashboard embedded";
  EXPECT_EQ(FindAsset("/"), index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
}

TEST(AssetsTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("rum.js"), nullptr);  // paths are absolute
  EXPECT_EQ(FindAsset("/rum.js/"), nullptr);
  EXPECT_EQ(FindAsset("/nope.js"), nullptr);
  EXPECT_EQ(FindAsset("/RUM.JS"), nullptr);
}

TEST(AssetsTest, PathsAreUniqueAndEtagsDifferPerContent) {
  const auto files = internal::EmbeddedFiles();
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].path.front(), '/') << files[i].path;
    for (size_t j = i + 1; j < files.size(); ++j) {
      EXPECT_NE(files[i].path, files[j].path);
      if (files[i].asset.body != files[j].asset.body) {
        EXPECT_NE(files[i].asset.etag, files[j].asset.etag);
      }
    }
  }
}

}  // namespace
}  // namespace perfwatch::frontend
