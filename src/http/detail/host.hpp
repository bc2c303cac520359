// Host header validation against ServerOptions::allowed_hosts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::http::detail {

// The allow-list, normalized once (lower case, trailing dot dropped).
class HostAllowList {
 public:
  explicit HostAllowList(const std::vector<std::string>& patterns);

  // True if `host_header` (a Host value, port optional) is well formed and matches a
  // pattern: "*" any, ".example.com" the domain and its subdomains, otherwise exact.
  // Case-insensitive; IPv6 literals are written in brackets ("[::1]").
  bool Allows(std::string_view host_header) const;

 private:
  std::vector<std::string> patterns_;
  bool any_ = false;
};

// The host part of a Host header value in lower case, port and a trailing dot removed;
// empty if the value is not a valid host ("a.b", "a.b:80", "[::1]:80").
std::string NormalizeHost(std::string_view host_header);

}  // namespace parley::http::detail
