// Splitting a long message body into parts Twilio accepts.
//
// Twilio refuses a `Body` over 1,600 characters (error 21617), for SMS and WhatsApp alike.
// parley counts characters as Unicode code points (an emoji is one). A longer reply is sent
// as several messages, in order; each part is its own outbound message (and outbox row), so
// each is accepted, retried and tracked on its own (docs/delivery.md).
//
// Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::twilio {

// Twilio's limit on `Body`, in characters.
inline constexpr size_t kMaxBodyChars = 1600;

// Unicode code points in `text`; each byte of an ill-formed UTF-8 sequence counts as one.
size_t CountChars(std::string_view text);

// `text` cut into parts of at most `max_chars` code points (precondition: max_chars > 0):
// - a text that fits is returned as it is, as the only part (an empty text too);
// - otherwise each cut falls at the last whitespace (space, tab, CR, LF) that keeps the
//   part within the limit, and the whitespace run at the cut is dropped (no part starts or
//   ends with the spaces it was split at); a part ends with the whole of a word;
// - a word longer than the limit (a long URL) is cut at the limit, between code points,
//   never inside a UTF-8 sequence;
// - the parts, joined with the dropped whitespace, give the text back.
std::vector<std::string> SplitBody(std::string_view text, size_t max_chars = kMaxBodyChars);

}  // namespace parley::twilio
