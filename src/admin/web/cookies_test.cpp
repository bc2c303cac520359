// Issue 11: the admin's cookies carry HttpOnly, SameSite=Lax and, over https, Secure.
#include "admin/web/cookies.hpp"

#include <gtest/gtest.h>

namespace parley::admin::web {
namespace {

TEST(CookiesTest, SetCookieAttributes) {
  EXPECT_EQ(SetCookie("parley_admin", "abc", std::chrono::hours(12), {false, "/admin"}),
            "parley_admin=abc; Path=/admin; Max-Age=43200; HttpOnly; SameSite=Lax");
  EXPECT_EQ(SetCookie("parley_admin", "abc", std::chrono::seconds(90), {true, "/admin"}),
            "parley_admin=abc; Path=/admin; Max-Age=90; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(ClearCookie("parley_admin", {true, "/admin"}),
            "parley_admin=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}

TEST(CookiesTest, CookieValueFindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; parley_admin=tok; b=2", "parley_admin"), "tok");
  EXPECT_EQ(CookieValue("parley_admin=\"tok\"", "parley_admin"), "tok");
  EXPECT_EQ(CookieValue("parley_admin=first; parley_admin=second", "parley_admin"), "first");
  EXPECT_EQ(CookieValue("xparley_admin=1;parley_admin_login=2", "parley_admin"), std::nullopt);
  EXPECT_EQ(CookieValue("", "parley_admin"), std::nullopt);
  EXPECT_EQ(CookieValue(";;=;parley_admin", "parley_admin"), std::nullopt);
}

}  // namespace
}  // namespace parley::admin::web
