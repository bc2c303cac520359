// End to end (issue 10, timers fire): the real `parley serve` on SQLite fires a short `after`
// timer by itself, and the timer's reply goes through the outbox to the (dry-run) channel.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

constexpr char kToken[] = "e2e-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";

constexpr char kPingFlow[] = R"({
  "flow": "ping",
  "triggers": ["PING"],
  "states": [
    {"name": "WAIT", "enter": [{"send": "Wait for it"}, {"timer": {"name": "ping", "after": "1s"}}],
     "states": [{"name": "PINGED", "condition": {"timer": "ping"}, "enter": {"send": "Ping!"}}]}
  ]
})";

// Issue 10: `parley serve` runs the scheduler: a 1 s reminder fires without any further
// request, its reply is recorded in the outbox and delivered (dry-run: "simulated"), and the
// server still stops cleanly.
TEST(TimerE2eTest, ServeFiresAShortAfterTimerAndDeliversItsReply) {
  const fs::path dir = fs::temp_directory_path() / ("parley-timer-e2e-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  std::ofstream(dir / "flows/ping.json") << kPingFlow;
  const std::string url = "sqlite:" + (dir / "parley.db").string();
  auto store = store::OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());

  auto server = testing::ServeProcess::Start(PARLEY_BINARY, dir.string(),
                                             {{"DATABASE_URL", url},
                                              {"PARLEY_FLOWS", "flows"},
                                              {"TWILIO_AUTH_TOKEN", kToken},
                                              {"PUBLIC_URL", kPublicUrl},
                                              {"PARLEY_REPLY_MODE", "rest"}},
                                             "timer-serve");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  testing::TwilioDriverOptions o;
  o.auth_token = kToken;
  o.public_url = kPublicUrl;
  o.connect_port = (*server)->port();
  testing::TwilioDriver driver(o);
  auto r = driver.Post("/twilio/messages",
                       driver.SmsParams(kAna, kOurNumber, "PING", driver.NewMessageSid()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;

  // The timer is due a second after the message; allow for a loaded machine.
  std::string ping_status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (ping_status != "simulated" && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto contact = (*store)->FindContact(kAna);
    ASSERT_TRUE(contact.ok()) << contact.status().ToString();
    if (!*contact) {
      continue;
    }
    auto messages = (*store)->Messages((*contact)->id);
    ASSERT_TRUE(messages.ok()) << messages.status().ToString();
    for (const store::MessageRecord& m : *messages) {
      if (m.body == "Ping!") {
        ping_status = store::MessageStatusName(m.status);
      }
    }
  }
  EXPECT_EQ(ping_status, "simulated") << (*server)->Log();
  auto exit = (*server)->Stop(SIGTERM);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(*exit, 0) << (*server)->Log();
  auto counts = (*store)->RowCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_NE(counts->find("outbox=0 timers=0"), std::string::npos) << *counts;
  store->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley
