#include "ingest/errors/fingerprint.h"

#include <gtest/gtest.h>

#include "ingest/errors/stack_trace.h"

namespace perfwatch::ingest::errors {
namespace {

TEST(StackTraceTest, ParsesV8Frames) {
  auto frames = ParseStackTrace(
      "TypeError: Cannot read properties of undefined (reading 'id')\n"
      "    at renderCart (https://shop.example/assets/app.3f2a9b1c.js:10:20)\n"
      "    at async loadPage (https://shop.example/assets/app.3f2a9b1c.js?v=2:30:4)\n"
      "    at https://shop.example/vendor/node_modules/react/index.js:1:1\n"
      "    at <anonymous>\n");
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].function, "renderCart");
  EXPECT_EQ(frames[0].file, "https://shop.example/assets/app.3f2a9b1c.js");
  EXPECT_EQ(frames[0].line, 10);
  EXPECT_EQ(frames[0].column, 20);
  EXPECT_TRUE(frames[0].in_app);
  EXPECT_EQ(frames[1].function, "loadPage");
  EXPECT_EQ(frames[2].function, "");
  EXPECT_FALSE(frames[2].in_app);
  EXPECT_FALSE(frames[3].in_app);
}

TEST(StackTraceTest, ParsesNodeInternalsAsNotInApp) {
  auto frames = ParseStackTrace(
      "Error: boom\n    at handler (/app/src/routes/cart.js:12:11)\n"
      "    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)\n"
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_TRUE(frames[0].in_app);
  EXPECT_FALSE(frames[1].in_app);
  EXPECT_FALSE(frames[2].in_app);
  EXPECT_EQ(frames[2].file, "node:internal/process/task_queues");
}

TEST(StackTraceTest, ParsesGeckoPythonJavaGo) {
  auto ff = ParseStackTrace("renderCart@https://shop.example/app.js:10:20\n@https://shop.example/app.js:1:1\n");
  ASSERT_EQ(ff.size(), 2u);
  EXPECT_EQ(ff[0].function, "renderCart");
  EXPECT_EQ(ff[0].line, 10);
  EXPECT_EQ(ff[1].function, "");

  auto py = ParseStackTrace(
      "Traceback (most recent call last):\n  File \"/app/main.py\", line 10, in handler\n    x()\n"
      "  File \"/app/db.py\", line 3, in query\n    raise ValueError\nValueError: bad\n");
  ASSERT_EQ(py.size(), 2u);
  EXPECT_EQ(py[0].function, "query");  // innermost first
  EXPECT_EQ(py[0].line, 3);

  auto java = ParseStackTrace("java.lang.IllegalStateException: x\n\tat com.shop.Cart.add(Cart.java:42)\n");
  ASSERT_EQ(java.size(), 1u);
  EXPECT_EQ(java[0].function, "com.shop.Cart.add");
  EXPECT_EQ(java[0].file, "Cart.java");
  EXPECT_EQ(java[0].line, 42);

  auto go = ParseStackTrace("goroutine 1 [running]:\nmain.handler(0xc000010000, 0x1)\n\t/app/main.go:42 +0x1d\n");
  ASSERT_EQ(go.size(), 1u);
  EXPECT_EQ(go[0].function, "main.handler");
  EXPECT_EQ(go[0].file, "/app/main.go");
  EXPECT_EQ(go[0].line, 42);
}

TEST(StackTraceTest, CleansFiles) {
  EXPECT_EQ(CleanFrameFile("https://cdn.example:8443/assets/main.3f2a9b1c.js?v=1#x"), "/assets/main.js");
  EXPECT_EQ(CleanFrameFile("https://a.example/assets/index-BxR3kT9a.js"), "/assets/index.js");
  EXPECT_EQ(CleanFrameFile("/app/src/cart.js"), "/app/src/cart.js");
  EXPECT_EQ(CleanFrameFile("https://a.example/app.js"), "/app.js");
}

TEST(NormalizeTest, StripsVariableParts) {
  EXPECT_EQ(NormalizeErrorMessage("User 12345 not found"), "User <n> not found");
  EXPECT_EQ(NormalizeErrorMessage("fetch https://api.example/cart/9?x=1 failed"), "fetch <url> failed");
  EXPECT_EQ(NormalizeErrorMessage("order 3f2a9b1c-1234-4abc-8def-0123456789ab gone"), "order <uuid> gone");
  EXPECT_EQ(NormalizeErrorMessage("no mail for bob.smith@example.com."), "no mail for <email>.");
  EXPECT_EQ(NormalizeErrorMessage("ptr 0xdeadBEEF id deadbeef42"), "ptr <hex> id <hex>");
  EXPECT_EQ(NormalizeErrorMessage("Cannot read properties of undefined (reading 'id')"),
            "Cannot read properties of undefined (reading 'id')");
  EXPECT_EQ(NormalizeErrorMessage("Unknown key \"cart item 7\""), "Unknown key \"<str>\"");
  EXPECT_EQ(NormalizeErrorMessage("  many   spaces\n\there "), "many spaces here");
  EXPECT_EQ(NormalizeErrorMessage("item42 broke"), "item42 broke");
}

TEST(NormalizeTest, SplitsType) {
  auto [t, m] = SplitErrorType("Uncaught TypeError: x is not a function");
  EXPECT_EQ(t, "TypeError");
  EXPECT_EQ(m, "x is not a function");
  EXPECT_EQ(SplitErrorType("Note: fine").first, "");
  EXPECT_EQ(SplitErrorType("java.lang.IllegalStateException: x").first, "java.lang.IllegalStateException");
}

constexpr const char* kStackA =
    "TypeError: Cannot read properties of undefined (reading 'id')\n"
    "    at renderCart (https://shop.example/assets/app.3f2a9b1c.js:10:20)\n"
    "    at loadPage (https://shop.example/assets/app.3f2a9b1c.js:30:4)\n";

TEST(FingerprintTest, SameBugSameFingerprint) {
  auto a = FingerprintError("", "Uncaught TypeError: order 123 for user 42 at https://x.example/a failed", kStackA);
  // Another deploy (other hash, other lines), other ids and URL.
  auto b = FingerprintError(
      "", "TypeError: order 98765 for user 7 at https://y.example/b?q=1 failed",
      "TypeError: x\n    at renderCart (https://cdn.example/assets/app.99aa77bb.js:11:2)\n"
      "    at loadPage (https://cdn.example/assets/app.99aa77bb.js:31:4)\n");
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.type, "TypeError");
  EXPECT_EQ(a.normalized_message, "order <n> for user <n> at <url> failed");
  EXPECT_EQ(a.fingerprint.size(), 16u);
  EXPECT_EQ(a.frames.size(), 2u);
}

TEST(FingerprintTest, DifferentTopFrameDifferentFingerprint) {
  auto a = FingerprintError("", "boom", kStackA);
  auto b = FingerprintError("", "boom",
                            "TypeError: x\n    at renderWishlist (https://shop.example/assets/app.3f2a9b1c.js:10:20)\n"
                            "    at loadPage (https://shop.example/assets/app.3f2a9b1c.js:30:4)\n");
  EXPECT_NE(a.fingerprint, b.fingerprint);
  EXPECT_NE(FingerprintError("RangeError", "boom", kStackA).fingerprint, a.fingerprint);
  EXPECT_NE(FingerprintError("", "bang", kStackA).fingerprint, a.fingerprint);
}

TEST(FingerprintTest, LibraryFramesDoNotSplitGroups) {
  auto a = FingerprintError("Error", "x", "Error: x\n    at h (/app/a.js:1:1)\n    at q (/app/node_modules/lib/v1.js:2:2)\n");
  auto b = FingerprintError("Error", "x", "Error: x\n    at h (/app/a.js:5:1)\n    at q (/app/node_modules/lib/v2.js:9:9)\n");
  EXPECT_EQ(a.fingerprint, b.fingerprint);
}

TEST(FingerprintTest, KnownValueIsStable) {
  // The fingerprint is persisted and shown: it must not change between versions.
  EXPECT_EQ(FingerprintError("Error", "x", "").fingerprint, FingerprintError("Error", "x", "").fingerprint);
  EXPECT_EQ(FingerprintError("Error", "x", "").fingerprint.size(), 16u);
}

}  // namespace
}  // namespace perfwatch::ingest::errors
