// libFuzzer target for the SQL fingerprint (ingest/otlp/sql_fingerprint.h), the parser
// behind the db_statement label. The first input byte picks the options (bit 0: MySQL
// quotes; bits 1-7: max_bytes 8 + 2 * n), the rest is the statement. Checks: the result
// fits max_bytes, valid UTF-8 in gives valid UTF-8 out, the operation is at most 32
// upper-case ASCII letters, and fingerprinting the fingerprint gives it back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/label_validation.h"
#include "ingest/otlp/sql_fingerprint.h"

using namespace perfwatch::ingest::otlp;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  SqlFingerprintOptions options;
  options.mysql_quotes = (data[0] & 1) != 0;
  options.max_bytes = 8 + 2 * static_cast<size_t>(data[0] >> 1);
  std::string_view statement(reinterpret_cast<const char*>(data + 1), size - 1);
  SqlFingerprint fp = FingerprintSql(statement, options);
  Check(fp.text.size() <= options.max_bytes);
  Check(fp.operation.size() <= 32);
  for (char c : fp.operation) Check(c >= 'A' && c <= 'Z');
  if (perfwatch::IsValidUtf8(statement)) Check(perfwatch::IsValidUtf8(fp.text));
  SqlFingerprint again = FingerprintSql(fp.text, options);
  Check(again.text == fp.text);
  return 0;
}
