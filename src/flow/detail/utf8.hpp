// UTF-8 helpers shared by the reply interpreters (text.cpp, time_text.cpp): validation,
// repair, and quoting user input inside error messages. Internal to the flow library.
#pragma once

#include <string>
#include <string_view>

namespace parley::flow::detail {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or truncated sequences).
bool IsValidUtf8(std::string_view text);

// Copy of `text` with every ill-formed sequence replaced by U+FFFD (one per maximal ill-formed
// subpart, as ICU and the WHATWG decoder do).
std::string RepairUtf8(std::string_view text);

// The input echoed in an error message: capped at 40 bytes (a runaway value should not flood
// the log), quoted, and valid UTF-8 (messages end up in JSON output).
std::string Quote(std::string_view text);

// The code point starting at text[i], as UTF-8 (for naming a bad character in a message);
// U+FFFD when the bytes there are not a valid sequence.
std::string CharAt(std::string_view text, size_t i);

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace parley::flow::detail
