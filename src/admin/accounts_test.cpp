// Issue 11: creating, resetting and disabling admin users, each audited.
#include "admin/accounts.hpp"

#include <gtest/gtest.h>

#include "admin/admin_test_support.hpp"

namespace parley::admin {
namespace {

using testing::kT0;

class AccountsTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Store> store_ = testing::MemoryStore();
  ManualClock clock_{kT0};
  Accounts accounts_{store_->admin(), clock_, PasswordCost::Minimum()};
  Actor cli_{"cli", ""};
};

TEST_F(AccountsTest, CreateNormalizesEmailAndHashesPassword) {
  ASSERT_OK_AND_ASSIGN(
      auto user, accounts_.CreateUser("Ana@Example.org", Role::kOperator, "s3cret-pass", cli_));
  EXPECT_EQ(user.email, "ana@example.org");
  EXPECT_EQ(user.role, "operator");
  ASSERT_OK_AND_ASSIGN(auto stored, store_->admin().FindAdminUser("ana@example.org"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(VerifyPassword(stored->password_hash, "s3cret-pass"));
  EXPECT_EQ(stored->password_hash.find("s3cret-pass"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto log, store_->admin().AuditLog(0, 10));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].actor, "cli");
  EXPECT_EQ(log[0].action, "user_created");
  EXPECT_EQ(log[0].target, "ana@example.org (operator)");
  EXPECT_EQ(log[0].at, kT0);
}

TEST_F(AccountsTest, CreateRefusesDuplicatesBadEmailsAndWeakPasswords) {
  ASSERT_OK(accounts_.CreateUser("ana@example.org", Role::kAdmin, "s3cret-pass", cli_).status());
  const Status dup =
      accounts_.CreateUser("ANA@example.org", Role::kViewer, "other-pass-1", cli_).status();
  EXPECT_EQ(dup.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(dup.message(), "a user with email ana@example.org exists already");
  EXPECT_EQ(accounts_.CreateUser("not-an-email", Role::kAdmin, "s3cret-pass", cli_).status().code(),
            StatusCode::kInvalidArgument);
  const Status weak = accounts_.CreateUser("bo@example.org", Role::kAdmin, "short", cli_).status();
  EXPECT_EQ(weak.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(weak.message().find("at least 10"), std::string::npos);
}

TEST_F(AccountsTest, ResetPasswordAndDisable) {
  ASSERT_OK(accounts_.CreateUser("ana@example.org", Role::kAdmin, "s3cret-pass", cli_).status());
  ASSERT_OK(accounts_.ResetPassword("ana@example.org", "new-s3cret-pass", cli_));
  ASSERT_OK_AND_ASSIGN(auto stored, store_->admin().FindAdminUser("ana@example.org"));
  EXPECT_TRUE(VerifyPassword(stored->password_hash, "new-s3cret-pass"));
  EXPECT_FALSE(VerifyPassword(stored->password_hash, "s3cret-pass"));
  ASSERT_OK(accounts_.Disable("ANA@example.org", cli_));
  ASSERT_OK_AND_ASSIGN(stored, store_->admin().FindAdminUser("ana@example.org"));
  EXPECT_TRUE(stored->disabled);
  EXPECT_EQ(accounts_.ResetPassword("bo@example.org", "new-s3cret-pass", cli_).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(accounts_.Disable("bo@example.org", cli_).code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto log, store_->admin().AuditLog(0, 10));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].action, "user_disabled");
  EXPECT_EQ(log[1].action, "password_reset");
}

}  // namespace
}  // namespace parley::admin
