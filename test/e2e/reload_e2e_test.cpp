// End to end (issue 10, flow reload): the real `parley serve` reloads its flows folder on
// SIGHUP, on SQLite and on PostgreSQL: an invalid change is rejected (logged, the old
// revision answers on), a valid one serves at once and moves a live session whose state it
// removed to on_missing_state; the server keeps running and stops cleanly. On PostgreSQL a
// reload on one instance is picked up by another (NOTIFY), which was never signalled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kToken[] = "e2e-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";

constexpr char kSurveyV1[] = R"({
  "flow": "survey", "triggers": ["SURVEY"],
  "states": [
    {"name": "Q1", "enter": {"send": "v1 first?"},
     "states": [
       {"name": "Q2", "condition": "any_text", "enter": {"send": "v1 second?"},
        "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "v1 thanks"}}]}
     ]}
  ]
})";

constexpr char kSurveyBroken[] = R"({
  "flow": "survey", "triggers": ["SURVEY"],
  "states": [{"name": "Q1", "enter": {"send": "broken"},
              "states": [{"name": "@Q1", "condition": "any_txet"}]}]
})";

// Q2 removed; sessions on it go to SORRY.
constexpr char kSurveyV2[] = R"({
  "flow": "survey", "triggers": ["SURVEY"], "on_missing_state": "SORRY",
  "states": [
    {"name": "Q1", "enter": {"send": "v2 first?"},
     "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "v2 thanks"}}]},
    {"name": "SORRY",
     "states": [{"name": "@DONE", "condition": "always", "enter": {"send": "question dropped"}}]}
  ]
})";

class ReloadE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { testing::PgCluster::StopShared(); }

  void SetUp() override {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    dir_ = fs::temp_directory_path() /
           ("parley-reload-e2e-" + std::to_string(getpid()) + "-" + std::to_string(n));
    fs::create_directories(dir_ / "flows");
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    if (GetParam() == "postgres") {
      std::string error;
      testing::PgCluster* cluster = testing::PgCluster::Shared(&error);
      ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL: " << error;
      auto url = cluster->CreateDatabase("reload_e2e" + std::to_string(n));
      ASSERT_TRUE(url.ok()) << url.status().ToString();
      url_ = *url;
    }
    auto store = store::OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Write(const char* text) {
    std::ofstream out(dir_ / "flows/survey.json", std::ios::trunc);
    out << text;
  }

  std::vector<std::string> Replies(testing::TwilioDriver& d, const std::string& body) {
    auto r = d.Post("/twilio/messages", d.SmsParams(kAna, kOurNumber, body, d.NewMessageSid()));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      EXPECT_EQ(r->status, 200) << r->body;
      for (const auto& m : r->messages) {
        out.push_back(m.body);
      }
    }
    return out;
  }

  // Sends SIGHUP and waits (at most 10 s) until the log has `count` reload summaries.
  void Reload(int count) {
    ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      const std::string log = server_->Log();
      int found = 0;
      for (size_t at = log.find("flow"); at != std::string::npos; at = log.find("flow", at + 1)) {
        found += log.compare(at, 15, "flows reloaded:") == 0 ? 1 : 0;
      }
      if (found >= count) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "no reload in the log:\n" << server_->Log();
  }

  std::string Revision() {
    auto contact = store_->FindContact(kAna);
    if (!contact.ok() || !contact->has_value()) {
      return "(no contact)";
    }
    auto session = store_->LatestSession((*contact)->id);
    return session.ok() && session->has_value() ? (*session)->flow_revision : "(no session)";
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::ServeProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ReloadE2eTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Issue 10: SIGHUP reloads; an invalid change is rejected with its errors in the log and the
// old revision keeps answering; a valid one answers at once, moving the live session whose
// state it removed to on_missing_state.
TEST_P(ReloadE2eTest, SighupReloadsTheFlowsFolder) {
  Write(kSurveyV1);
  auto server = testing::ServeProcess::Start(PARLEY_BINARY, dir_.string(),
                                             {{"DATABASE_URL", url_},
                                              {"PARLEY_FLOWS", "flows"},
                                              {"TWILIO_AUTH_TOKEN", kToken},
                                              {"PUBLIC_URL", kPublicUrl},
                                              {"PARLEY_REPLY_MODE", "twiml"}},
                                             "reload-serve");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(*server);
  testing::TwilioDriverOptions o;
  o.auth_token = kToken;
  o.public_url = kPublicUrl;
  o.connect_port = server_->port();
  testing::TwilioDriver driver(o);

  EXPECT_THAT(Replies(driver, "SURVEY"), ElementsAre("v1 first?"));
  const std::string v1 = Revision();

  Write(kSurveyBroken);
  Reload(1);
  EXPECT_THAT(server_->Log(), HasSubstr("flow reload: rejected flows/survey.json: "));
  EXPECT_THAT(server_->Log(), HasSubstr("unknown condition 'any_txet'"));
  EXPECT_THAT(Replies(driver, "a"), ElementsAre("v1 second?"));  // on Q2 now
  EXPECT_EQ(Revision(), v1);

  Write(kSurveyV2);
  Reload(2);
  EXPECT_THAT(server_->Log(), HasSubstr("flows reloaded: 1 changed (survey " + v1 + " -> "));
  EXPECT_THAT(Replies(driver, "b"), ElementsAre("question dropped"));
  EXPECT_NE(Revision(), v1);
  auto counts = store_->RowCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_THAT(*counts, HasSubstr("flows=2"));  // v1 and v2; the broken file never was saved

  auto exit = server_->Stop(SIGTERM);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(*exit, 0) << server_->Log();
}

// Issue 10: instances on one PostgreSQL converge. Two servers read one flows folder; only the
// first is signalled; the second reloads on its notice and answers with the new revision.
TEST_P(ReloadE2eTest, AReloadOnOneInstanceIsPickedUpByTheOthers) {
  if (GetParam() != "postgres") {
    GTEST_SKIP() << "one instance per SQLite file: nobody to tell";
  }
  Write(kSurveyV1);
  const std::map<std::string, std::string> env = {{"DATABASE_URL", url_},
                                                  {"PARLEY_FLOWS", "flows"},
                                                  {"TWILIO_AUTH_TOKEN", kToken},
                                                  {"PUBLIC_URL", kPublicUrl},
                                                  {"PARLEY_REPLY_MODE", "twiml"}};
  auto first = testing::ServeProcess::Start(PARLEY_BINARY, dir_.string(), env, "reload-first");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = testing::ServeProcess::Start(PARLEY_BINARY, dir_.string(), env, "reload-second");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  server_ = std::move(*first);
  testing::TwilioDriverOptions o;
  o.auth_token = kToken;
  o.public_url = kPublicUrl;
  o.connect_port = (*second)->port();
  testing::TwilioDriver to_second(o);

  Write(kSurveyV2);
  Reload(1);  // the first instance only
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until &&
         (*second)->Log().find("flows reloaded: 1 changed") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT((*second)->Log(), HasSubstr("flows reloaded: 1 changed"));
  EXPECT_THAT(Replies(to_second, "SURVEY"), ElementsAre("v2 first?"));

  for (auto* server : {&server_, &*second}) {
    auto exit = (*server)->Stop(SIGTERM);
    ASSERT_TRUE(exit.ok()) << exit.status().ToString();
    EXPECT_EQ(*exit, 0) << (*server)->Log();
  }
}

}  // namespace
}  // namespace parley
