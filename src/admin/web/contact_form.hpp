// What the contact page and its actions read from a request: the contact's id from the path,
// and the edit form's fields, one "key=value" a line (docs/admin.md, "A contact's page").
// Everything here is untrusted input with limits (docs/security.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/status.hpp"
#include "http/server.hpp"

namespace parley::admin::web {

// Limits of the contact forms.
inline constexpr size_t kMaxFields = 50;
inline constexpr size_t kMaxFieldKeyBytes = 64;
inline constexpr size_t kMaxFieldValueBytes = 1000;
inline constexpr size_t kMaxNameBytes = 200;
// A one-off message, in characters (code points): Twilio's limit for one message; the
// sender splits a longer text, but an operator's note has no need to be longer.
inline constexpr size_t kMaxMessageChars = 1600;

// The path's {id} when it is a positive decimal number, else 0 (the page answers 404).
int64_t ContactIdParam(const http::Request& request);

// The fields as the edit form shows them: "key=value" lines in stored order.
std::string FieldsText(const json::Value& fields);

// The edit form's text into a JSON object of strings ("{}" when blank). Blank lines are
// skipped; keys and values are trimmed; a later key replaces an earlier one.
// InvalidArgument, with a message for the operator, for a line without '=', an empty key,
// text that is not UTF-8, or a limit exceeded.
Result<std::string> ParseFieldsText(std::string_view text);

// Characters (code points) of valid UTF-8 text.
size_t CountChars(std::string_view utf8);

}  // namespace parley::admin::web
