// Log lines for the server, one event per line so line-based log shipping never splits or
// forges an entry (issue 8 item 15):
//
//   text (default): 2026-11-30T18:00:00.000Z INFO message
//   json:           {"time":"2026-11-30T18:00:00.000Z","level":"info","msg":"message"}
//
// In both formats the message is made valid UTF-8 (ill-formed bytes become U+FFFD) and
// nothing in it can end a line: in text, control characters (C0, DEL, C1) and U+2028/U+2029
// are escaped as \n, \r, \t, \xHH or \uHHHH (a backslash itself is left as it is, so the
// text stays readable; the escapes are for people and splitters, not for a parser); in
// JSON the message is a JSON string with the same characters escaped as JSON requires.
//
// One write per line, so lines from different threads never interleave. Messages must
// already be safe to log: no secrets, phone numbers masked (webhook::MaskPhone), no message
// bodies (a script's error text only at DEBUG).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace parley {

// In increasing severity; a threshold shows its level and those after it.
enum class LogLevel { kDebug, kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

// Process-wide settings, meant to be set once at startup (`parley serve` applies
// PARLEY_LOG_LEVEL and PARLEY_LOG_FORMAT); thread-safe. Defaults: kInfo, kText.
void SetLogLevel(LogLevel minimum);
void SetLogFormat(LogFormat format);
// Whether a line at `level` would be written; lets a caller skip building a DEBUG message.
bool LogEnabled(LogLevel level);

// "debug", "info", "warn" (or "warning"), "error"; "text", "json". nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// Writes one line to `out` (stderr by default) if `level` passes the threshold, in the
// process's format. Thread-safe.
void Log(LogLevel level, std::string_view message, std::FILE* out = stderr);

// The line Log writes, newline included. Pure.
std::string FormatLogLine(TimePoint time, LogLevel level, std::string_view message,
                          LogFormat format);

}  // namespace parley
