#pragma once
// ClickHouse's text encodings, for untrusted event strings going in and ClickHouse's
// answers coming back (docs/format/clickhouse.md "Encoding"):
//  - TabSeparated values: a field's bytes with \\ \t \n \r \0 \b \f escaped (ClickHouse
//    reads every other byte, invalid UTF-8 included, as itself), so any byte string
//    round-trips exactly;
//  - SQL string literals: '...' with \\ and \' escaped and every byte outside printable
//    ASCII written as \xHH, so a query is plain ASCII whatever the filter values hold;
//  - doubles as their IEEE-754 bit pattern (UInt64): ClickHouse 18.16 parses long
//    decimal fractions inexactly (readFloatText), bits travel exactly.
// ParseTsv reads a TabSeparated answer (the fuzzed parser: fuzz/clickhouse_tsv_fuzzer.cc).
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::clickhouse {

// Appends `s` escaped as one TabSeparated field.
void AppendTsvField(std::string& out, std::string_view s);
// Appends `s` as a quoted SQL string literal ('...').
void AppendSqlString(std::string& out, std::string_view s);
std::string SqlString(std::string_view s);
// Quotes an identifier (database or table name) with backquotes; InvalidArgument for a
// name that is empty or holds anything but [A-Za-z0-9_] (the names perfwatch accepts).
Result<std::string> SqlIdentifier(std::string_view name);

uint64_t DoubleBits(double v);
double DoubleFromBits(uint64_t bits);

// A TabSeparated answer: rows of unescaped fields. InvalidArgument ("clickhouse answer
// line N: ...") for a bad escape or a row with another field count than the first one
// (when `columns` > 0: than `columns`). A missing final newline is accepted.
Result<std::vector<std::vector<std::string>>> ParseTsv(std::string_view text, size_t columns = 0);

// A decimal unsigned integer field ("123"); InvalidArgument otherwise.
Result<uint64_t> ParseUint(std::string_view field);
// A decimal signed integer field ("-12").
Result<int64_t> ParseInt(std::string_view field);

}  // namespace perfwatch::clickhouse
