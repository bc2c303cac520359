// Admin users' emails: the login name. Stored lower-cased, so "Ana@Example.org" and
// "ana@example.org" are one user.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::admin {

// The lower-cased email, or kInvalidArgument saying what is wrong. Accepts
// local@domain.tld with no spaces or control characters, at most 254 bytes: a login name,
// not an RFC 5322 address (no quoted local parts, no comments).
Result<std::string> NormalizeEmail(std::string_view email);

}  // namespace parley::admin
