// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected), the checksum of every journal record,
// segment header and index file (journal/FORMAT.md). The same function iSCSI (RFC 3720),
// ext4 and Kafka's record batches use; "123456789" gives 0xE3069283.
//
// Computed with SSE4.2's crc32 instruction where the CPU has it (checked once, at run time),
// else by a slicing-by-8 table. Both give the same value; any thread may call.
#pragma once

#include <cstdint>
#include <span>

namespace enlace::journal {

/// The CRC-32C of `bytes`. `crc` continues an earlier value: crc32c(b, crc32c(a)) equals the
/// CRC of a followed by b. Pass 0 (the default) to start.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0) noexcept;

/// The table-driven computation crc32c() falls back to, whatever the CPU: for tests that
/// hold both to the same values.
std::uint32_t crc32c_portable(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0) noexcept;

/// Whether crc32c() uses the CPU's crc32 instruction on this machine.
bool crc32c_uses_hardware() noexcept;

}  // namespace enlace::journal
