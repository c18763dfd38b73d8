// libFuzzer target for query::promql::ParseExpr. Any input must give a tree or
// kInvalidArgument "L:C: parse error: ..." (never a crash, never unbounded recursion). An
// accepted query must print (Expr::ToString) to text that parses again to a tree printing
// the same way, and every node's type() must be computable.
//
// Note: fuzz/CMakeLists.txt must link this target against pw_query as well.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/promql_parser.h"

using namespace perfwatch;
using namespace perfwatch::query::promql;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// "L:C: parse error: " with positive L and C.
bool WellFormedError(const std::string& m) {
  size_t i = 0;
  auto number = [&] {
    size_t start = i;
    while (i < m.size() && m[i] >= '0' && m[i] <= '9') ++i;
    return i > start && m[start] != '0';
  };
  if (!number() || i >= m.size() || m[i++] != ':') return false;
  if (!number()) return false;
  return m.compare(i, 15, ": parse error: ") == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  // Copy so that ASan sees reads past the exact end.
  std::string input(reinterpret_cast<const char*>(data), size);
  Result<ExprPtr> r = ParseExpr(input);
  if (!r.ok()) {
    Check(r.status().code() == StatusCode::kInvalidArgument);
    Check(WellFormedError(r.status().message()));
    return 0;
  }
  const Expr& e = **r;
  Check(e.type() != ValueType::kNone);
  std::string printed = e.ToString();
  Result<ExprPtr> again = ParseExpr(printed);
  Check(again.ok());
  Check((*again)->type() == e.type());
  Check((*again)->ToString() == printed);
  return 0;
}
