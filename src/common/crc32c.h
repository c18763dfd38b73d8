#pragma once
// CRC-32C (Castagnoli), used to checksum log records. Uses SSE4.2 when the CPU has it.
// Thread safety: pure function.
#include <cstddef>
#include <cstdint>

namespace perfwatch {

// Extends `crc` (0 to start) over `n` bytes at `data`.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace perfwatch
