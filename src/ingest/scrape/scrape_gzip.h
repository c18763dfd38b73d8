#pragma once
// gzip for scrape bodies (zlib): decompression with an output limit, so a small
// compressed body cannot expand past scrape.max_body_bytes, and compression (tests,
// benchmarks).
// Thread safety: pure functions.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace perfwatch::ingest {

// Decompresses a gzip stream (one or more members) into `out` (replacing it). More than
// `max_out` bytes of output gives kResourceExhausted; a corrupt stream kInvalidArgument.
Status Gunzip(std::string_view in, size_t max_out, std::string* out);

// Compresses `in` as one gzip member.
std::string Gzip(std::string_view in, int level = 6);

}  // namespace perfwatch::ingest
