#include "admin/web/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace parley::admin::web {
namespace {

constexpr size_t kMaxParts = 32;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The value of `key=` in a header's parameters ("form-data; name=\"x\"; filename=\"a.csv\""),
// quoted or not; none when absent. Only the parameter boundary counts, so "filename" does
// not match "name".
std::optional<std::string> HeaderParam(std::string_view header, std::string_view key) {
  size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == '\t')) ++pos;
    const size_t eq = header.find('=', pos);
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    if (Lower(header.substr(pos, eq - pos)) != key) {
      continue;
    }
    std::string_view rest = header.substr(eq + 1);
    std::string value;
    if (rest.starts_with('"')) {
      for (size_t i = 1; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
    } else {
      value = std::string(rest.substr(0, rest.find(';')));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  const std::string type = Lower(content_type.substr(0, content_type.find(';')));
  if (type.find_first_not_of(' ') == std::string::npos ||
      type.substr(type.find_first_not_of(' ')).rfind("multipart/form-data", 0) != 0) {
    return std::nullopt;
  }
  auto boundary = HeaderParam(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return std::nullopt;
  }
  return boundary;
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  if (!body.starts_with(delimiter)) {
    return Status::InvalidArgument("the form does not start with its boundary");
  }
  std::vector<FormPart> parts;
  size_t pos = delimiter.size();
  const std::string next = "\r\n" + delimiter;
  while (true) {
    if (body.substr(pos).starts_with("--")) {
      return parts;  // the closing delimiter
    }
    if (!body.substr(pos).starts_with("\r\n")) {
      return Status::InvalidArgument("a boundary is not followed by a line end");
    }
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    const size_t end = body.find(next, pos);
    if (end == std::string_view::npos) {
      return Status::InvalidArgument("the form has no closing boundary");
    }
    if (headers_end == std::string_view::npos || headers_end > end) {
      return Status::InvalidArgument("a part of the form has no blank line after its headers");
    }
    FormPart part;
    bool named = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const size_t nl = headers.find("\r\n");
      const std::string_view line = headers.substr(0, nl);
      headers = nl == std::string_view::npos ? std::string_view() : headers.substr(nl + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos ||
          Lower(line.substr(0, colon)) != "content-disposition") {
        continue;
      }
      const std::string_view value = line.substr(colon + 1);
      if (auto name = HeaderParam(value, "name")) {
        part.name = *name;
        named = true;
      }
      part.filename = HeaderParam(value, "filename").value_or("");
    }
    if (!named) {
      return Status::InvalidArgument("a part of the form has no name");
    }
    part.body = std::string(body.substr(headers_end + 4, end - headers_end - 4));
    parts.push_back(std::move(part));
    if (parts.size() > kMaxParts) {
      return Status::InvalidArgument("the form has too many parts");
    }
    pos = end + next.size();
  }
}

const FormPart* FindPart(const std::vector<FormPart>& parts, std::string_view name) {
  for (const FormPart& p : parts) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

}  // namespace parley::admin::web
