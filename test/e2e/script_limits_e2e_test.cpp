// End to end against `parley serve` on SQLite: what a slow or failing Lua handler may cost
// the other contacts (issue 8 item 6) and what its error text may put in the log (item 17).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ServeProcess;
using testing::TwilioDriver;

constexpr char kToken[] = "e2e-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";

// Every contact starts `echo` with its first message; after that each message runs the Lua
// condition `answers` and the action `answer`. "spin" compares two 1 MiB strings until the
// deadline stops it (too few instructions for the budget to); a reply starting with "leak"
// makes the action fail with the reply in its error text.
constexpr char kFlow[] = R"({
  "flow": "echo", "script": "echo.lua",
  "states": [{"name": "LOOP", "enter": {"send": "ready"},
              "states": [{"name": "@LOOP", "condition": "answers", "enter": "answer"}]}]})";
constexpr char kScript[] = R"(
local a = string.rep("x", 2^20)
local b = string.rep("x", 2^20 - 1) .. "x"
function answers(ctx)
  if ctx.reply == "spin" then
    local n = 0
    while true do if a == b then n = n + 1 end end
  end
  return true
end
function answer(ctx)
  if ctx.reply:find("^leak") then error("cannot handle: " .. ctx.reply) end
  ctx:send("ok " .. ctx.reply)
end
)";

class ScriptLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("parley-limits-e2e-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_ / "flows");
    std::ofstream(dir_ / "flows/echo.json") << kFlow;
    std::ofstream(dir_ / "flows/echo.lua") << kScript;
    const std::string url = "sqlite:" + (dir_ / "parley.db").string();
    auto store = store::OpenStore(url);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
    env_ = {{"DATABASE_URL", url},         {"PARLEY_FLOWS", "flows"},
            {"PARLEY_START_FLOW", "echo"}, {"TWILIO_AUTH_TOKEN", kToken},
            {"PUBLIC_URL", kPublicUrl},    {"PARLEY_REPLY_MODE", "twiml"}};
    Restart({});
  }
  // (Re)starts the server with the fixture's environment plus `extra`.
  void Restart(const std::map<std::string, std::string>& extra) {
    server_.reset();
    std::map<std::string, std::string> env = env_;
    env.insert(extra.begin(), extra.end());
    // A log file of its own: the port is read from the "listening on" line.
    auto server =
        ServeProcess::Start(PARLEY_BINARY, dir_.string(), env, "serve" + std::to_string(starts_++));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    testing::TwilioDriverOptions o;
    o.auth_token = kToken;
    o.public_url = kPublicUrl;
    o.connect_port = server_->port();
    driver_ = std::make_unique<TwilioDriver>(o);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  testing::DriverResponse Sms(const std::string& from, const std::string& body) {
    auto r = driver_->Post("/twilio/messages",
                           driver_->SmsParams(from, kOurNumber, body, driver_->NewMessageSid()));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : testing::DriverResponse{};
  }
  static std::string Phone(int i) { return "+1415555" + std::to_string(1000 + i); }

  fs::path dir_;
  std::map<std::string, std::string> env_;
  int starts_ = 0;
  std::unique_ptr<ServeProcess> server_;
  std::unique_ptr<TwilioDriver> driver_;
};

// Issue 8 item 6: one contact's handler spins until its deadline on every message (four of
// its webhooks in flight at a time) while 100 other contacts are answered: every one of
// them gets its 200 within 250 ms. Before: the spin was bounded by nothing but the
// instruction budget (seconds per message), and each queued spin held the single SQLite
// lane for its whole length. Under ASan/UBSan the server runs several times slower, and the
// bound scales with it.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::chrono::milliseconds kOthersBound{750};
#else
constexpr std::chrono::milliseconds kOthersBound{250};
#endif

TEST_F(ScriptLimitsTest, ASpinningContactDoesNotHoldUpTheOthers) {
  constexpr int kOthers = 100;
  const std::string spinner = Phone(999);
  ASSERT_EQ(Sms(spinner, "hello").status, 200);  // starts its session
  for (int i = 0; i < kOthers; ++i) {
    ASSERT_EQ(Sms(Phone(i), "hello").status, 200);
  }

  std::atomic<bool> stop{false};
  std::atomic<int> spins{0};
  std::vector<std::thread> spinners;
  for (int t = 0; t < 4; ++t) {
    spinners.emplace_back([&] {
      while (!stop) {
        const auto r = Sms(spinner, "spin");
        EXPECT_EQ(r.status, 200);  // a handler error: recorded, answered, nothing sent
        ++spins;
      }
    });
  }
  while (spins < 4) {  // the spinner is under way
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // The others write over 1.5 s, so that the spinner's handler runs again (its back-off of
  // 1 s ends) while they wait.
  std::mutex mu;
  std::vector<std::pair<int, std::chrono::milliseconds>> slow;
  std::chrono::milliseconds longest{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> others;
  for (int t = 0; t < 10; ++t) {
    others.emplace_back([&, t] {
      for (int i = t; i < kOthers; i += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        const auto start = std::chrono::steady_clock::now();
        const auto r = Sms(Phone(i), "hi");
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.messages.size() == 1 && r.messages[0].body == "ok hi") {
          ++answered;
        }
        std::lock_guard lock(mu);
        longest = std::max(longest, took);
        if (took > kOthersBound) {
          slow.emplace_back(i, took);
        }
      }
    });
  }
  for (auto& th : others) {
    th.join();
  }
  stop = true;
  for (auto& th : spinners) {
    th.join();
  }
  EXPECT_EQ(answered.load(), kOthers);
  for (const auto& [i, took] : slow) {
    ADD_FAILURE() << "contact " << i << " waited " << took.count() << " ms";
  }
  RecordProperty("longest_wait_ms", static_cast<int>(longest.count()));
  const std::string log = server_->Log();
  // The spinner's handler ran (to its deadline) at least twice: once before the others
  // wrote, once while they did.
  const std::string timed_out = "flow 'echo' state 'LOOP' handler 'answers': timed out";
  size_t runs = 0;
  for (size_t at = log.find(timed_out); at != std::string::npos; at = log.find(timed_out, at + 1)) {
    ++runs;
  }
  EXPECT_GE(runs, 2u) << log;
  EXPECT_THAT(log, HasSubstr("flow 'echo': paused after a limit"));
  testing::PostOptions get;
  get.use_get = true;
  auto metrics = driver_->Post("/metrics", {}, get);
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_THAT(metrics->body, HasSubstr("parley_flow_limit_errors_total"));
  EXPECT_THAT(metrics->body, Not(HasSubstr("parley_flow_paused_events_total 0\n")));
}

// Issue 8 item 17: a handler's error() quoting the reply reaches the log only as a summary
// (flow, state, handler, kind of error) at the default level; the body never does.
TEST_F(ScriptLimitsTest, HandlerErrorTextStaysOutOfTheLog) {
  const std::string ana = Phone(1);
  ASSERT_EQ(Sms(ana, "hello").status, 200);
  const auto r = Sms(ana, "leak my card 4111-1111-1111-1111");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.messages.empty());
  ASSERT_EQ(Sms(ana, "fine").messages.size(), 1u);  // the server carries on
  ASSERT_TRUE(server_->Stop(SIGTERM).ok());
  const std::string log = server_->Log();
  EXPECT_THAT(log, HasSubstr("flow 'echo' state 'LOOP' handler 'answer': runtime error"));
  EXPECT_THAT(log, Not(HasSubstr("4111")));
  EXPECT_THAT(log, Not(HasSubstr("cannot handle")));

  // At PARLEY_LOG_LEVEL=debug the text is there, for whoever debugs the script.
  Restart({{"PARLEY_LOG_LEVEL", "debug"}});
  ASSERT_EQ(Sms(ana, "leak again").status, 200);
  ASSERT_TRUE(server_->Stop(SIGTERM).ok());
  EXPECT_THAT(server_->Log(), HasSubstr("cannot handle: leak again"));
}

}  // namespace
}  // namespace parley
