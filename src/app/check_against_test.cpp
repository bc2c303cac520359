// `parley check NEW --against OLD` (issue 10): the states a new revision removes, adds and
// probably renames, and how many live sessions sit on each removed state in the database
// DATABASE_URL names, SQLite and PostgreSQL. Runs the built binary as a user would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/status_testing.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOld[] = R"({"flow": "survey", "states": [
  {"name": "Q1", "enter": {"send": "first?"},
   "states": [{"name": "Q2", "condition": "any_text", "enter": {"send": "second?"},
               "states": [{"name": "Q3", "condition": "any_text", "enter": {"send": "third?"},
                           "states": [{"name": "DONE", "condition": "any_text"}]}]}]}]})";

// Q2 renamed Q2B, Q3 dropped.
constexpr char kNew[] = R"({"flow": "survey", "otherwise": {"send": "?"}, "states": [
  {"name": "Q1", "enter": {"send": "first?"},
   "states": [{"name": "Q2B", "condition": "any_text", "enter": {"send": "second?"},
               "states": [{"name": "DONE", "condition": "any_text"}]}]}]})";

// As kNew, with sessions of removed states sent to AGAIN.
constexpr char kNewWithFallback[] = R"({"flow": "survey", "otherwise": {"send": "?"},
  "on_missing_state": "AGAIN", "states": [
  {"name": "Q1", "enter": {"send": "first?"},
   "states": [{"name": "Q2B", "condition": "any_text", "enter": {"send": "second?"},
               "states": [{"name": "DONE", "condition": "any_text"}]}]},
  {"name": "AGAIN", "states": [{"name": "@Q1", "condition": "always"}]}]})";

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr
};

class CheckAgainstTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { testing::PgCluster::StopShared(); }

  void SetUp() override {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    dir_ = fs::temp_directory_path() /
           ("parley-check-against-" + std::to_string(getpid()) + "-" + std::to_string(n));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "old.json") << kOld;
    std::ofstream(dir_ / "new.json") << kNew;
    std::ofstream(dir_ / "fallback.json") << kNewWithFallback;
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    if (GetParam() == "postgres") {
      std::string error;
      testing::PgCluster* cluster = testing::PgCluster::Shared(&error);
      ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL: " << error;
      ASSERT_OK_AND_ASSIGN(url_, cluster->CreateDatabase("check_against" + std::to_string(n)));
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Sessions of `flow` on these states (completed ones when !active), one contact each.
  void Seed(const std::vector<std::string>& states, bool active = true,
            const std::string& flow = "survey") {
    ASSERT_OK_AND_ASSIGN(auto store, store::OpenStore(url_));
    ASSERT_OK(store->Migrate());
    for (const std::string& state : states) {
      ASSERT_OK_AND_ASSIGN(auto txn, store->Begin());
      store::ContactRecord init;
      init.address = "+1415555" + std::to_string(1000 + next_contact_++);
      init.phone = init.address;
      ASSERT_OK_AND_ASSIGN(const store::ContactRecord contact, txn->LockContact(init));
      store::SessionRecord s;
      s.contact_id = contact.id;
      s.flow_revision = "old";
      s.session.flow_id = flow;
      s.session.state = state;
      s.session.status = active ? flow::SessionStatus::kActive : flow::SessionStatus::kCompleted;
      ASSERT_OK(txn->SaveSession(s));
      ASSERT_OK(txn->Commit());
    }
  }

  // Runs `parley ARGS` in the test's folder with only DATABASE_URL (when `database`) and PATH
  // in its environment, and no .env.
  Outcome Check(const std::string& args, bool database = true) {
    const std::string cmd = "cd '" + dir_.string() + "' && env -i PATH=\"$PATH\" " +
                            (database ? "DATABASE_URL='" + url_ + "' " : "") +
                            std::string(PARLEY_BINARY) + " check " + args + " --env /dev/null 2>&1";
    Outcome r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    for (size_t n = 0; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) {
      r.out.append(buf.data(), n);
    }
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  fs::path dir_;
  std::string url_;
  int next_contact_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, CheckAgainstTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Issue 10: removed states with their live sessions (active ones of this flow only), the
// rename guess, added states; --strict fails when live sessions would end.
TEST_P(CheckAgainstTest, ListsRemovedStatesWithTheirLiveSessions) {
  Seed({"Q2", "Q2", "Q3", "Q1"});
  Seed({"Q2"}, /*active=*/false);
  Seed({"Q2"}, true, "other");
  const Outcome r = Check("new.json --against old.json");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("new.json: ok"));
  EXPECT_THAT(r.out, HasSubstr("against old.json (flow 'survey'):\n"
                               "  removed state Q2: 2 live sessions; sessions on it would end "
                               "(state_removed)\n"
                               "  removed state Q3: 1 live session; sessions on it would end "
                               "(state_removed)\n"
                               "  renamed? Q2 -> Q2B (the same edge leads there;"));
  EXPECT_THAT(r.out, HasSubstr("  added state Q2B\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("not counted")));

  const Outcome strict = Check("new.json --against old.json --strict");
  EXPECT_EQ(strict.code, 1) << strict.out;

  const Outcome json = Check("new.json --against old.json --json");
  EXPECT_EQ(json.code, 0) << json.out;
  EXPECT_THAT(json.out, HasSubstr(R"("removed":[{"state":"Q2","live_sessions":2,"goes_to":null},)"
                                  R"({"state":"Q3","live_sessions":1,"goes_to":null}])"));
  EXPECT_THAT(json.out, HasSubstr(R"("renamed":[{"from":"Q2","to":"Q2B"}])"));
}

// Issue 10: with on_missing_state the sessions of removed states go there; --strict passes.
TEST_P(CheckAgainstTest, OnMissingStateSaysWhereTheSessionsGo) {
  Seed({"Q3"});
  const Outcome r = Check("fallback.json --against old.json --strict");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("removed state Q3: 1 live session; sessions on it would go to "
                               "'AGAIN' (on_missing_state)"));
}

// Issue 10: without a database the states are still compared; nothing is created.
TEST_P(CheckAgainstTest, WithoutADatabaseTheSessionsAreNotCounted) {
  if (GetParam() == "postgres") {
    GTEST_SKIP() << "no database involved";
  }
  const Outcome r = Check("new.json --against old.json", /*database=*/false);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("removed state Q2: sessions on it would end (state_removed)"));
  EXPECT_THAT(r.out, HasSubstr("live sessions not counted: no database at sqlite:parley.db"));
  EXPECT_FALSE(fs::exists(dir_ / "parley.db"));

  const Outcome two = Check("new.json old.json --against old.json", false);
  EXPECT_EQ(two.code, 2) << two.out;
  std::ofstream(dir_ / "bad.json") << "{";
  const Outcome bad = Check("new.json --against bad.json", false);
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("--against bad.json is not a valid flow"));
}

}  // namespace
}  // namespace parley
