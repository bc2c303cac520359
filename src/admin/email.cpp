#include "admin/email.hpp"

#include <algorithm>

namespace parley::admin {

Result<std::string> NormalizeEmail(std::string_view email) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("'" + std::string(email.substr(0, 80)) +
                                   "' is not an email address: " + std::string(why));
  };
  if (email.empty() || email.size() > 254) {
    return bad("expected 1 to 254 characters");
  }
  const bool has_space_or_control = std::any_of(email.begin(), email.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
  if (has_space_or_control) {
    return bad("spaces and control characters are not allowed");
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return bad("expected one '@' with a name before it");
  }
  const std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) {
    return bad("expected a domain such as example.org after the '@'");
  }
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

}  // namespace parley::admin
