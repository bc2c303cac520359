// Log lines for the server: "2026-11-30T18:00:00.000Z INFO message", one write per line
// so lines from different threads never interleave. Messages must already be safe to log:
// no secrets, phone numbers masked (webhook::MaskPhone), no message bodies.
#pragma once

#include <cstdio>
#include <string_view>

namespace parley {

enum class LogLevel { kInfo, kWarning, kError };

// Writes to `out` (stderr by default). Thread-safe.
void Log(LogLevel level, std::string_view message, std::FILE* out = stderr);

}  // namespace parley
