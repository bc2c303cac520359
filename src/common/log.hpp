// Log lines for the server: "2026-11-30T18:00:00.000Z INFO message", one write per line
// so lines from different threads never interleave. Messages must already be safe to log:
// no secrets, phone numbers masked (webhook::MaskPhone), no message bodies (a script's
// error text only at DEBUG).
#pragma once

#include <cstdio>
#include <string_view>

namespace parley {

// In increasing severity; a threshold shows its level and those after it.
enum class LogLevel { kDebug, kInfo, kWarning, kError };

// The process-wide threshold (default kInfo: no DEBUG lines), meant to be set once at
// startup; thread-safe. LogEnabled lets a caller skip building a DEBUG message.
void SetLogLevel(LogLevel minimum);
bool LogEnabled(LogLevel level);

// Writes to `out` (stderr by default) if `level` passes the threshold. Thread-safe.
void Log(LogLevel level, std::string_view message, std::FILE* out = stderr);

}  // namespace parley
