// UTF-8 without ICU: validation, repair and encoding, for every module that takes bytes from
// outside (webhook forms, TwiML, flow files, replies) and must hand on valid UTF-8.
//
// Well-formed means what the Unicode Standard (chapter 3, Table 3-7) says: no overlong forms,
// no surrogates, nothing above U+10FFFF, no stray continuation bytes, no truncated sequences.
// Pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length (1-4) of the well-formed UTF-8 sequence starting at s[i] (precondition i < s.size()),
// or 0 when the bytes there are not one, with `*subpart` set to the length of the maximal
// ill-formed subpart starting there (at least 1).
size_t Utf8SequenceAt(std::string_view s, size_t i, size_t* subpart);

// Whether `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// `bytes` with each maximal ill-formed UTF-8 subpart replaced by U+FFFD (the Unicode
// "substitution of maximal subparts" practice, as ICU and the WHATWG decoder do): overlong
// forms, surrogates, code points above U+10FFFF, stray continuation bytes and truncated
// sequences. Valid input is returned unchanged.
std::string ToValidUtf8(std::string_view bytes);

// Text that every store keeps byte for byte (docs/flow-format.md, "Text parley stores"):
// well-formed UTF-8 without U+0000. PostgreSQL's text type cannot hold U+0000 at all, and
// SQLite would keep it, so the two would disagree; U+0000 is never meaningful in a message.
bool IsStorableText(std::string_view bytes);
// ToValidUtf8, and each U+0000 replaced by U+FFFD as well (the same substitution as for an
// ill-formed byte, so one rule covers every byte a text column cannot keep). Storable input
// is returned unchanged.
std::string ToStorableText(std::string_view bytes);

// Appends code point `cp` (precondition: a Unicode scalar value, <= U+10FFFF, not a
// surrogate) encoded as UTF-8.
void AppendUtf8(std::string& out, uint32_t cp);

}  // namespace parley
