// Issue 11: `parley admin create-user|reset-password|disable`, run as a user would (the
// built binary, a SQLite file), the result read back from the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "admin/password.hpp"
#include "store/store.hpp"

namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr
};

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley_admin_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    ASSERT_EQ(Parley("migrate --env /dev/null").code, 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `parley ARGS` with DATABASE_URL set and `input` on stdin (a file: not a terminal).
  Outcome Parley(const std::string& args, const std::string& input = "") {
    const std::string in = (dir_ / "stdin").string();
    std::ofstream(in) << input;
    const std::string cmd = "DATABASE_URL='" + url_ + "' " + std::string(PARLEY_BINARY) + " " +
                            args + " < " + in + " 2>&1";
    Outcome r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::optional<parley::store::AdminUserRecord> Find(const std::string& email) {
    auto store = parley::store::OpenStore(url_);
    EXPECT_TRUE(store.ok());
    auto user = (*store)->admin().FindAdminUser(email);
    EXPECT_TRUE(user.ok());
    return *user;
  }

  std::filesystem::path dir_;
  std::string url_;
};

TEST_F(AdminCli, CreateUserReadsThePasswordFromStdin) {
  const Outcome r =
      Parley("admin create-user Ana@Example.org --role operator --env /dev/null", "s3cret-pass\n");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("created operator ana@example.org"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("s3cret-pass")));
  const auto user = Find("ana@example.org");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->role, "operator");
  EXPECT_TRUE(parley::admin::VerifyPassword(user->password_hash, "s3cret-pass"));
}

TEST_F(AdminCli, CreateUserRefusesDuplicatesBadEmailsRolesAndPasswords) {
  ASSERT_EQ(Parley("admin create-user ana@example.org --role admin", "s3cret-pass\n").code, 0);
  const Outcome dup = Parley("admin create-user ANA@example.org --role viewer", "other-pass-1\n");
  EXPECT_EQ(dup.code, 1);
  EXPECT_THAT(dup.out,
              HasSubstr("parley admin create-user: a user with email ana@example.org exists"));
  const Outcome email = Parley("admin create-user not-an-email --role admin", "s3cret-pass\n");
  EXPECT_EQ(email.code, 2);
  EXPECT_THAT(email.out, HasSubstr("'not-an-email' is not an email address"));
  const Outcome role = Parley("admin create-user bo@example.org --role root", "s3cret-pass\n");
  EXPECT_EQ(role.code, 2);
  EXPECT_THAT(role.out, HasSubstr("--role"));
  const Outcome no_role = Parley("admin create-user bo@example.org", "s3cret-pass\n");
  EXPECT_EQ(no_role.code, 2);
  const Outcome weak = Parley("admin create-user bo@example.org --role admin", "short\n");
  EXPECT_EQ(weak.code, 2);
  EXPECT_THAT(weak.out, HasSubstr("at least 10 characters"));
  // There is no way to put the password on the command line.
  EXPECT_EQ(Parley("admin create-user bo@example.org --role admin --password s3cret-pass").code, 2);
  EXPECT_FALSE(Find("bo@example.org").has_value());
}

TEST_F(AdminCli, ResetPasswordAndDisable) {
  ASSERT_EQ(Parley("admin create-user ana@example.org --role admin", "s3cret-pass\n").code, 0);
  const Outcome reset = Parley("admin reset-password ana@example.org", "new-s3cret-pass\r\n");
  EXPECT_EQ(reset.code, 0) << reset.out;
  auto user = Find("ana@example.org");
  EXPECT_TRUE(parley::admin::VerifyPassword(user->password_hash, "new-s3cret-pass"));
  EXPECT_FALSE(parley::admin::VerifyPassword(user->password_hash, "s3cret-pass"));
  const Outcome disable = Parley("admin disable ana@example.org");
  EXPECT_EQ(disable.code, 0) << disable.out;
  EXPECT_THAT(disable.out, HasSubstr("disabled ana@example.org"));
  EXPECT_TRUE(Find("ana@example.org")->disabled);
  const Outcome unknown = Parley("admin disable bo@example.org");
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.out, HasSubstr("no admin user with email bo@example.org"));
  EXPECT_EQ(Parley("admin reset-password bo@example.org", "new-s3cret-pass\n").code, 1);
}

TEST_F(AdminCli, RefusesAnUnmigratedDatabase) {
  url_ = "sqlite:" + (dir_ / "empty.db").string();
  const Outcome r = Parley("admin create-user ana@example.org --role admin", "s3cret-pass\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("run `parley migrate` first"));
}

}  // namespace
