#include "http/detail/host.hpp"

#include <cctype>

namespace parley::http::detail {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool IsDigits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

std::string NormalizePattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (char c : pattern) {
    out += Lower(c);
  }
  if (out.size() > 1 && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::string NormalizeHost(std::string_view value) {
  std::string host;
  if (value.empty()) {
    return host;
  }
  std::string_view name;
  std::string_view port;
  if (value.front() == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) {
      return host;
    }
    name = value.substr(0, close + 1);
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return host;
      }
      port = rest.substr(1);
      if (!IsDigits(port)) {
        return host;
      }
    }
    for (char c : name.substr(1, name.size() - 2)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        return host;
      }
    }
    if (name.size() <= 2) {
      return host;
    }
  } else {
    size_t colon = value.find(':');
    name = value.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = value.substr(colon + 1);
      if (!IsDigits(port)) {
        return host;
      }
    }
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
        return host;
      }
    }
    if (!name.empty() && name.back() == '.') {
      name.remove_suffix(1);
    }
    if (name.empty()) {
      return host;
    }
  }
  host.reserve(name.size());
  for (char c : name) {
    host += Lower(c);
  }
  return host;
}

HostAllowList::HostAllowList(const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    if (pattern == "*") {
      any_ = true;
    } else if (!pattern.empty()) {
      patterns_.push_back(NormalizePattern(pattern));
    }
  }
}

bool HostAllowList::Allows(std::string_view host_header) const {
  std::string host = NormalizeHost(host_header);
  if (host.empty()) {
    return false;
  }
  if (any_) {
    return true;
  }
  std::string_view h = host;
  for (const std::string& pattern : patterns_) {
    if (pattern.front() == '.') {
      std::string_view domain = std::string_view(pattern).substr(1);
      if (h == domain || (h.size() > pattern.size() && h.ends_with(pattern))) {
        return true;
      }
    } else if (h == pattern) {
      return true;
    }
  }
  return false;
}

}  // namespace parley::http::detail
