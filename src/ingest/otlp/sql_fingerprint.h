#pragma once
// SQL statement fingerprints for the `db_statement` label of perfwatch_db_duration_seconds
// (docs/otlp.md "RED metrics"): the statement with its literals removed, so that the same
// query with other values gives the same label value.
//
// Contract (a tokenizer, not a full SQL parser; any input is accepted):
//  - Literals become `?`: quoted strings ('...' with '' and, for MySQL or after an E
//    prefix, backslash escapes; E'', N'', X'', B'' prefixed forms; Postgres $tag$...$tag$),
//    numbers (integers, decimals, exponents, 0x hex, a unary minus before them), true and
//    false. Placeholders ($1, ?, :name) become `?` too. A list of only `?` in parentheses
//    becomes `(?)` (IN lists, VALUES rows) and repeated `(?)` rows separated by commas become
//    one, so `IN (1, 2, 3)` and `IN (4)` match.
//  - Double-quoted text is an identifier and kept (standard SQL, Postgres), except with
//    `mysql_quotes` (MySQL/MariaDB) where it is a string literal. `backquoted` identifiers
//    are kept. Comments (-- and /* */) are removed.
//  - Whitespace is collapsed to single spaces with a fixed spacing around punctuation
//    (none inside `a.b`, `f(x)`, before `,`), SQL keywords lower-cased, other words kept
//    as written; a trailing `;` dropped.
//  - The result is at most `max_bytes` bytes (default 200); a longer one is cut after
//    its last whole token that fits and ends in "...". Valid UTF-8 in gives valid UTF-8 out. Fingerprinting a
//    fingerprint gives it back (fuzzed: fuzz/sql_fingerprint_fuzzer.cc).
//
// Thread safety: pure functions.
#include <cstddef>
#include <string>
#include <string_view>

namespace perfwatch::ingest::otlp {

struct SqlFingerprintOptions {
  bool mysql_quotes = false;  // "..." is a string literal; backslash escapes in '...'
  size_t max_bytes = 200;     // at least 8
};

struct SqlFingerprint {
  std::string text;       // the fingerprint ("" for a statement without tokens)
  std::string operation;  // the first word, upper-cased ("SELECT", "WITH"); "" if none
};

SqlFingerprint FingerprintSql(std::string_view statement, const SqlFingerprintOptions& options = {});

}  // namespace perfwatch::ingest::otlp
