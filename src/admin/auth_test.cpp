// Issue 11: logging in and out, session expiry (idle and absolute, on a ManualClock), the
// CSRF check, throttling, disabled users, and the audit entry of each.
#include "admin/auth.hpp"

#include <gtest/gtest.h>

#include "admin/accounts.hpp"
#include "admin/admin_test_support.hpp"
#include "admin/secure_random.hpp"

namespace parley::admin {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(accounts_.CreateUser("ana@example.org", Role::kOperator, "s3cret-pass", {"cli", ""})
                  .status());
  }
  std::vector<std::string> Actions() {
    auto log = store_->admin().AuditLog(0, 100);
    EXPECT_TRUE(log.ok());
    std::vector<std::string> out;
    for (auto it = log->rbegin(); it != log->rend(); ++it) {
      out.push_back(it->action + (it->detail.empty() ? "" : "(" + it->detail + ")"));
    }
    return out;
  }

  std::unique_ptr<store::Store> store_ = testing::MemoryStore();
  ManualClock clock_{kT0};
  Accounts accounts_{store_->admin(), clock_, PasswordCost::Minimum()};
  SessionOptions options_{minutes(30), hours(12), minutes(1)};
  Auth auth_{store_->admin(), clock_, options_, PasswordCost::Minimum()};
};

TEST_F(AuthTest, LoginOpensASessionThatAuthenticatesUntilLogout) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome login,
                       auth_.Login("Ana@example.org", "s3cret-pass", "10.0.0.1"));
  ASSERT_TRUE(login.ok) << login.message;
  EXPECT_EQ(login.token.size(), 64u);
  EXPECT_EQ(login.max_age, Duration(hours(12)));
  // Only the token's hash is stored.
  ASSERT_OK_AND_ASSIGN(auto stored, store_->admin().FindAdminSession(login.token));
  EXPECT_FALSE(stored.has_value());
  ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->email, "ana@example.org");
  EXPECT_EQ(who->role, Role::kOperator);
  EXPECT_EQ(who->csrf_token.size(), 64u);
  ASSERT_OK(auth_.Logout(*who, "10.0.0.1"));
  ASSERT_OK_AND_ASSIGN(auto after, auth_.Authenticate(login.token));
  EXPECT_FALSE(after.has_value());
  EXPECT_EQ(Actions(), (std::vector<std::string>{"user_created", "login", "logout"}));
}

TEST_F(AuthTest, WrongPasswordUnknownUserAndDisabledUserAreRefusedAlike) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome wrong, auth_.Login("ana@example.org", "nope-nope-1", "a"));
  EXPECT_FALSE(wrong.ok);
  ASSERT_OK_AND_ASSIGN(LoginOutcome unknown, auth_.Login("bo@example.org", "s3cret-pass", "a"));
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(wrong.message, unknown.message);
  ASSERT_OK(accounts_.Disable("ana@example.org", {"cli", ""}));
  ASSERT_OK_AND_ASSIGN(LoginOutcome disabled, auth_.Login("ana@example.org", "s3cret-pass", "b"));
  EXPECT_FALSE(disabled.ok);
  EXPECT_EQ(disabled.message, wrong.message);
  ASSERT_OK_AND_ASSIGN(LoginOutcome garbage, auth_.Login("not an email", "x", "c"));
  EXPECT_FALSE(garbage.ok);
  EXPECT_EQ(Actions(),
            (std::vector<std::string>{
                "user_created", "login_failed(wrong password)", "login_failed(unknown user)",
                "user_disabled", "login_failed(user disabled)", "login_failed(unknown user)"}));
}

TEST_F(AuthTest, SessionEndsAfterIdleTimeoutUnlessUsed) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome login, auth_.Login("ana@example.org", "s3cret-pass", "a"));
  // Used every 20 minutes, it lives on past the 30-minute idle timeout.
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(minutes(20));
    ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
    ASSERT_TRUE(who.has_value()) << i;
  }
  clock_.Advance(minutes(30));  // 30 minutes idle
  ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
  EXPECT_FALSE(who.has_value());
  EXPECT_EQ(Actions().back(), "session_expired(idle expiry)");
}

TEST_F(AuthTest, SessionEndsAtAbsoluteExpiryHoweverUsed) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome login, auth_.Login("ana@example.org", "s3cret-pass", "a"));
  for (int i = 0; i < 12 * 3 - 1; ++i) {
    clock_.Advance(minutes(20));
    ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
    ASSERT_TRUE(who.has_value()) << i;
  }
  clock_.Advance(minutes(20));  // 12 h after login
  ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
  EXPECT_FALSE(who.has_value());
  EXPECT_EQ(Actions().back(), "session_expired(absolute expiry)");
}

TEST_F(AuthTest, DisablingAUserEndsTheirSession) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome login, auth_.Login("ana@example.org", "s3cret-pass", "a"));
  ASSERT_OK(accounts_.Disable("ana@example.org", {"cli", ""}));
  ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(login.token));
  EXPECT_FALSE(who.has_value());
}

TEST_F(AuthTest, BogusTokensAuthenticateNobody) {
  for (const std::string& token : {std::string(), std::string("x"), std::string(64, '0'),
                                   RandomToken(), std::string(10000, 'a')}) {
    ASSERT_OK_AND_ASSIGN(auto who, auth_.Authenticate(token));
    EXPECT_FALSE(who.has_value());
  }
}

TEST_F(AuthTest, CsrfTokenIsPerSessionAndChecked) {
  ASSERT_OK_AND_ASSIGN(LoginOutcome a, auth_.Login("ana@example.org", "s3cret-pass", "a"));
  ASSERT_OK_AND_ASSIGN(LoginOutcome b, auth_.Login("ana@example.org", "s3cret-pass", "a"));
  ASSERT_OK_AND_ASSIGN(auto who_a, auth_.Authenticate(a.token));
  ASSERT_OK_AND_ASSIGN(auto who_b, auth_.Authenticate(b.token));
  EXPECT_NE(who_a->csrf_token, who_b->csrf_token);
  EXPECT_TRUE(Auth::CheckCsrf(*who_a, who_a->csrf_token));
  EXPECT_FALSE(Auth::CheckCsrf(*who_a, who_b->csrf_token));
  EXPECT_FALSE(Auth::CheckCsrf(*who_a, ""));
  Principal no_token = *who_a;
  no_token.csrf_token.clear();
  EXPECT_FALSE(Auth::CheckCsrf(no_token, ""));
}

TEST_F(AuthTest, FiveFailuresLockTheAccountEvenWithTheRightPassword) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(LoginOutcome r, auth_.Login("ana@example.org", "wrong-pass-1", "a"));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.throttled) << i;
  }
  // From another address too: the account is locked.
  ASSERT_OK_AND_ASSIGN(LoginOutcome locked, auth_.Login("ana@example.org", "s3cret-pass", "b"));
  EXPECT_FALSE(locked.ok);
  EXPECT_TRUE(locked.throttled);
  EXPECT_EQ(locked.message, "Too many failed logins. Try again in 30 seconds.");
  EXPECT_EQ(Actions().back(), "login_failed(throttled (account))");
  clock_.Advance(seconds(30));
  ASSERT_OK_AND_ASSIGN(LoginOutcome ok, auth_.Login("ana@example.org", "s3cret-pass", "b"));
  EXPECT_TRUE(ok.ok);
}

TEST_F(AuthTest, FiveFailuresFromOneAddressLockThatAddress) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(LoginOutcome r,
                         auth_.Login("user" + std::to_string(i) + "@example.org", "x", "6.6.6.6"));
    EXPECT_FALSE(r.ok);
  }
  ASSERT_OK_AND_ASSIGN(LoginOutcome locked,
                       auth_.Login("ana@example.org", "s3cret-pass", "6.6.6.6"));
  EXPECT_TRUE(locked.throttled);
  ASSERT_OK_AND_ASSIGN(LoginOutcome other,
                       auth_.Login("ana@example.org", "s3cret-pass", "7.7.7.7"));
  EXPECT_TRUE(other.ok);
}

}  // namespace
}  // namespace parley::admin
