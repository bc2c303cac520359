#include "admin/contact_search.hpp"

namespace parley::admin {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool LooksLikeNumber(std::string_view s) {
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return false;
    }
  }
  return digit;
}

}  // namespace

std::string ContactSearchPattern(std::string_view search) {
  search = Trim(search.substr(0, kMaxSearchLength));
  if (search.empty()) {
    return "";
  }
  std::string pattern = "%";
  if (LooksLikeNumber(search)) {
    for (char c : search) {
      if (c >= '0' && c <= '9') {
        pattern += c;
      }
    }
  } else {
    for (char c : search) {
      if (c == '%' || c == '_' || c == '\\') {
        pattern += '\\';
      }
      pattern += c;
    }
  }
  pattern += '%';
  return pattern;
}

}  // namespace parley::admin
