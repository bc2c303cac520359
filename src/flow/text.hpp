// Interpreting what people type: reply normalization, yes/no, numbers, durations and times
// of day. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/session.hpp"

namespace parley::flow {

// Normalizes a reply for word matching: trims whitespace, applies Unicode NFKC case folding
// ("YES" -> "yes", "Sí" -> "sí", "ß" -> "ss") and drops punctuation and symbols at both
// ends ("yes!!" -> "yes", "¡sí!" -> "sí", "'ok'" -> "ok"). Inner punctuation is kept
// ("o'neil"). Invalid UTF-8 bytes are replaced by U+FFFD; never fails.
std::string NormalizeReply(std::string_view text);

// Built-in synonym sets, matched against NormalizeReply(text) (English and Spanish, plus
// common emoji such as 👍 for yes). Both false for anything else.
bool IsYes(std::string_view text);
bool IsNo(std::string_view text);

// Finds the first number in a reply: "120", "-3", "5.5", "5,5" (decimal comma). A comma
// followed by exactly three digits and then no further digit is a thousands separator
// ("1,000" -> 1000); any other comma between digits is a decimal separator. Text around the
// number is allowed ("120 mg/dl", "it was 95"). nullopt if there is no number.
std::optional<double> ParseNumber(std::string_view text);

// Durations: one or more <integer><unit> parts, units s, m, h, d, w, in decreasing order
// without repeats ("90s", "2m", "4h", "1d", "1d12h", "1w"). Must be positive. Errors name
// the problem ("bad duration '2x': unknown unit 'x' (use s, m, h, d or w)").
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// Time of day "HH:MM" or "HH:MM:SS", 24-hour ("9:00" and "09:00" both accepted).
struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  int second = 0;
};
Result<TimeOfDay> ParseTimeOfDay(std::string_view text);

// Whether `tz` is a known IANA time zone id ("America/Lima", "UTC", "Europe/Madrid").
bool IsValidTimeZone(std::string_view tz);

// The first instant strictly after `now` whose local wall-clock time in `tz` is `at`.
// On a day where `at` falls in a DST gap, the instant just after the gap is used; in an
// overlap, the earlier instant. Precondition: IsValidTimeZone(tz).
TimePoint NextTimeOfDay(TimePoint now, TimeOfDay at, std::string_view tz);

// A recurring timer's next occurrence after the one due at `due`: the first that is strictly
// after `now`, so occurrences missed while parley was down are skipped, not fired in a burst.
// An `at` recurrence lands on its local time of day (DST-safe: 09:00 stays 09:00 local), every
// `every` / 1d days after `due`'s local date. Precondition: r.every > 0.
TimePoint NextOccurrence(const TimerRecurrence& r, TimePoint due, TimePoint now);

// `t` as local time in `tz` with its UTC offset, "2026-03-09 09:00:00 -04:00" (UTC when `tz`
// is not a known zone).
std::string FormatLocal(TimePoint t, std::string_view tz);

}  // namespace parley::flow
