// The admin's cookies: reading one from a Cookie header, writing Set-Cookie with the
// attributes the admin always wants (HttpOnly, SameSite=Lax, Path, Secure over https).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace parley::admin::web {

struct CookieOptions {
  bool secure = false;  // PUBLIC_URL is https: the browser sends it only over TLS
  std::string path = "/admin";
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or none. The first one wins
// when a name repeats.
std::optional<std::string> CookieValue(std::string_view header, std::string_view name);

// "NAME=VALUE; Path=/admin; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]". `value` must be
// cookie-safe (the admin's are hex tokens).
std::string SetCookie(std::string_view name, std::string_view value, Duration max_age,
                      const CookieOptions& options);
// The Set-Cookie that removes cookie `name` (empty value, Max-Age=0).
std::string ClearCookie(std::string_view name, const CookieOptions& options);

}  // namespace parley::admin::web
