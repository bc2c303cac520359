#include "admin/web/contact_form.hpp"

#include <charconv>

#include "common/utf8.hpp"

namespace parley::admin::web {
namespace {

std::string_view Trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

int64_t ContactIdParam(const http::Request& request) {
  const std::string_view v = request.PathParam("id");
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
  return ec == std::errc() && end == v.data() + v.size() && id > 0 ? id : 0;
}

std::string FieldsText(const json::Value& fields) {
  std::string out;
  if (!fields.is_object()) {
    return out;
  }
  for (const auto& [key, value] : fields.as_object()) {
    out += key + "=" + json::ToDisplayString(value) + "\n";
  }
  return out;
}

Result<std::string> ParseFieldsText(std::string_view text) {
  if (!IsValidUtf8(text)) {
    return Status::InvalidArgument("The fields are not valid text.");
  }
  json::Value object = json::Object{};
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) {
      continue;
    }
    const size_t eq = line.find('=');
    const std::string where = "Fields, line " + std::to_string(line_no) + ": ";
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(where + "write key=value.");
    }
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string_view value = Trim(line.substr(eq + 1));
    if (key.empty()) {
      return Status::InvalidArgument(where + "the key is empty.");
    }
    if (key.size() > kMaxFieldKeyBytes || value.size() > kMaxFieldValueBytes) {
      return Status::InvalidArgument(where + "keys are limited to " +
                                     std::to_string(kMaxFieldKeyBytes) + " bytes, values to " +
                                     std::to_string(kMaxFieldValueBytes) + ".");
    }
    object.Set(key, json::Value(std::string(value)));
    if (object.as_object().size() > kMaxFields) {
      return Status::InvalidArgument("At most " + std::to_string(kMaxFields) + " fields.");
    }
  }
  return json::Serialize(object);
}

size_t CountChars(std::string_view utf8) {
  size_t n = 0;
  for (const char c : utf8) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

}  // namespace parley::admin::web
