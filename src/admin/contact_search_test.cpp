// Issue 11: the contacts page's search box as a LIKE pattern.
#include "admin/contact_search.hpp"

#include <gtest/gtest.h>

#include "admin/email.hpp"
#include "admin/roles.hpp"

namespace parley::admin {
namespace {

TEST(ContactSearchTest, NumbersMatchByDigitsTextLiterally) {
  EXPECT_EQ(ContactSearchPattern(""), "");
  EXPECT_EQ(ContactSearchPattern("   "), "");
  EXPECT_EQ(ContactSearchPattern("+1 (555) 123-4567"), "%15551234567%");
  EXPECT_EQ(ContactSearchPattern("4567"), "%4567%");
  EXPECT_EQ(ContactSearchPattern(" Ana "), "%Ana%");
  EXPECT_EQ(ContactSearchPattern("100%_\\"), "%100\\%\\_\\\\%");
  EXPECT_EQ(ContactSearchPattern(std::string(500, 'a')).size(), kMaxSearchLength + 2);
}

TEST(EmailTest, NormalizesAndRefuses) {
  EXPECT_EQ(NormalizeEmail("Ana@Example.ORG").value(), "ana@example.org");
  for (const char* bad : {"", "ana", "@example.org", "ana@", "ana@example", "ana@.org",
                          "ana@example.", "a b@example.org", "ana@ex@ample.org"}) {
    EXPECT_EQ(NormalizeEmail(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(NormalizeEmail(std::string(250, 'a') + "@example.org").ok());
}

// Issue 11: roles are ordered viewer < operator < admin; the guard asks Allows.
TEST(RolesTest, ParseNameAndOrder) {
  EXPECT_EQ(ParseRole("admin"), Role::kAdmin);
  EXPECT_EQ(ParseRole("operator"), Role::kOperator);
  EXPECT_EQ(ParseRole("viewer"), Role::kViewer);
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("root").has_value());
  EXPECT_EQ(RoleName(Role::kOperator), "operator");
  EXPECT_TRUE(Allows(Role::kAdmin, Role::kViewer));
  EXPECT_TRUE(Allows(Role::kOperator, Role::kOperator));
  EXPECT_FALSE(Allows(Role::kViewer, Role::kOperator));
  EXPECT_FALSE(Allows(Role::kOperator, Role::kAdmin));
}

}  // namespace
}  // namespace parley::admin
