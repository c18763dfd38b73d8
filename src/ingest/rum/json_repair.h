#pragma once
// In-place repair of two kinds of valid-but-unparseable JSON that simdjson's DOM parser
// rejects for the whole document, so that a single odd beacon does not sink its batch:
//
//  * numbers outside double range ("1e999") become `null` (padded with spaces), so the
//    beacon that carries one is rejected on its own (`value must be a finite number`);
//    integers too large for 64 bits become the nearest double written to fit in place;
//  * lone UTF-16 surrogate escapes ("\ud800" without its pair, as JavaScript produces when
//    it cuts a string mid-character) become "\ufffd" (U+FFFD, same length).
//
// Everything else (bad grammar, bad escapes) is left for the parser to reject.
// The buffer must hold valid UTF-8. Thread safety: pure function over the caller's buffer.
#include <cstddef>

namespace perfwatch::ingest {

// Repairs `buf[0, len)` in place; its length never changes. Returns true if anything was
// rewritten (the caller then parses again).
bool RepairJsonInPlace(char* buf, size_t len);

}  // namespace perfwatch::ingest
