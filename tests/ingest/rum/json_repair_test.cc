#include "ingest/rum/json_repair.h"

#include <gtest/gtest.h>

#include <string>

namespace perfwatch::ingest {
namespace {

std::string Repair(std::string s, bool* changed = nullptr) {
  bool c = RepairJsonInPlace(s.data(), s.size());
  if (changed) *changed = c;
  return s;
}

TEST(JsonRepairTest, LeavesOrdinaryJsonAlone) {
  bool changed = true;
  std::string in = R"({"a":[1,-2.5e3,0,18446744073709551615,-9223372036854775808,1e-400],"s":"1e999 \ud83d\ude00"})";
  EXPECT_EQ(Repair(in, &changed), in);
  EXPECT_FALSE(changed);
}

TEST(JsonRepairTest, OverflowingNumbersBecomeNull) {
  EXPECT_EQ(Repair("[1e999,-1e999,1E+400]"), "[null ,null  ,null  ]");
  EXPECT_EQ(Repair("[0.0001e400]"), "[null      ]");
}

TEST(JsonRepairTest, HugeIntegersBecomeDoubles) {
  EXPECT_EQ(Repair("[123456789012345678901234567890]"), "[1.2345678901234568e+29        ]");
  EXPECT_EQ(Repair("[18446744073709551616]"), "[1.84467440737096e+19]");
  EXPECT_EQ(Repair("[-9223372036854775809]"), "[-9.2233720368548e+18]");
}

TEST(JsonRepairTest, LoneSurrogatesBecomeReplacementChar) {
  EXPECT_EQ(Repair(R"(["\ud800x","\udc00","\ud83d\ude00","\\ud800"])"),
            R"(["\ufffdx","\ufffd","\ud83d\ude00","\\ud800"])");
  EXPECT_EQ(Repair(R"(["\ud800\ud800"])"), R"(["\ufffd\ufffd"])");
}

TEST(JsonRepairTest, BadGrammarIsLeftForTheParser) {
  bool changed = true;
  EXPECT_EQ(Repair("[01,1.,-,1e,\"\\u12\"]", &changed), "[01,1.,-,1e,\"\\u12\"]");
  EXPECT_FALSE(changed);
}

}  // namespace
}  // namespace perfwatch::ingest
