// multipart/form-data (RFC 7578) request bodies: the broadcast page's CSV upload. The HTTP
// server bounds the whole body (PARLEY_MAX_BODY_BYTES) before this sees it; this only splits
// it into parts. Untrusted input (docs/security.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::admin::web {

struct FormPart {
  std::string name;      // Content-Disposition's name
  std::string filename;  // its filename, empty for a plain field
  std::string body;
};

// The boundary of a `Content-Type: multipart/form-data; boundary=...` value, or none when
// the type is another (or has no boundary).
std::optional<std::string> MultipartBoundary(std::string_view content_type);

// The parts of `body`. InvalidArgument for a body that is not well-formed: no opening or
// closing delimiter, a part without a blank line after its headers or without a name, more
// than 32 parts.
Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary);

// The first part named `name`, or none.
const FormPart* FindPart(const std::vector<FormPart>& parts, std::string_view name);

}  // namespace parley::admin::web
