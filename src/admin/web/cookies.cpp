#include "admin/web/cookies.hpp"

namespace parley::admin::web {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    const std::string_view pair = Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return std::nullopt;
}

std::string SetCookie(std::string_view name, std::string_view value, Duration max_age,
                      const CookieOptions& options) {
  std::string out(name);
  out += '=';
  out += value;
  out += "; Path=" + options.path;
  out += "; Max-Age=" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_age).count());
  out += "; HttpOnly; SameSite=Lax";
  if (options.secure) {
    out += "; Secure";
  }
  return out;
}

std::string ClearCookie(std::string_view name, const CookieOptions& options) {
  return SetCookie(name, "", Duration(0), options);
}

}  // namespace parley::admin::web
