// Quoting user input inside error messages, for the reply interpreters (text.cpp,
// time_text.cpp). Internal to the flow library.
#pragma once

#include <string>
#include <string_view>

#include "common/utf8.hpp"

namespace parley::flow::detail {

// Validation and repair are common/utf8.hpp (IsValidUtf8, ToValidUtf8).

// The input echoed in an error message: capped at 40 bytes (a runaway value should not flood
// the log), quoted, and valid UTF-8 (messages end up in JSON output).
std::string Quote(std::string_view text);

// The code point starting at text[i], as UTF-8 (for naming a bad character in a message);
// U+FFFD when the bytes there are not a valid sequence.
std::string CharAt(std::string_view text, size_t i);

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace parley::flow::detail
