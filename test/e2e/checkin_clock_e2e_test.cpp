// Issue 10, end to end: the check-in example under the real `parley serve` fires its 09:00
// check-in by itself, on a clock the test controls (PARLEY_TEST_CLOCK_FILE, a marked test-only
// offset), and the question reaches Twilio through the REST stand-in.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "flow/text.hpp"
#include "flow/transcript.hpp"
#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"
#include "test/support/twilio_rest_standin.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";
constexpr char kQuestion[] = "Hi Ana, did you check your blood sugar today? Reply YES or NO.";

// Writes the clock file so that the server's clock reads `server_now` (to the second).
void SetServerClock(const fs::path& file, TimePoint server_now) {
  const auto offset =
      std::chrono::duration_cast<std::chrono::seconds>(server_now - SystemClock().Now());
  std::ofstream(file) << "parley-test-clock\n" << offset.count() << "\n";
}

// Issue 10: the example's daily check-in is set at opt-in for 09:00 Lima; with the server's
// clock moved to a second before it, the scheduler fires it without any request, and the
// question goes out through Twilio's REST API (the stand-in) to the contact.
TEST(CheckinClockE2eTest, ServeFiresTheNineOClockCheckinOnTheTestClock) {
  const fs::path dir =
      fs::temp_directory_path() / ("parley-checkin-clock-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  fs::copy_file(fs::path(TEST_SOURCE_DIR) / "examples/checkin/checkin.json",
                dir / "flows/checkin.json", fs::copy_options::overwrite_existing);
  const std::string url = "sqlite:" + (dir / "parley.db").string();
  auto store = store::OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  auto standin = testing::TwilioRestStandin::Start();
  ASSERT_TRUE(standin.ok()) << standin.status().ToString();

  const fs::path clock_file = dir / "clock";
  const TimePoint morning = *flow::ParseUtc("2026-03-05T13:00:00Z");  // 08:00 in Lima
  SetServerClock(clock_file, morning);
  auto server =
      testing::ServeProcess::Start(PARLEY_BINARY, dir.string(),
                                   {{"DATABASE_URL", url},
                                    {"PARLEY_FLOWS", "flows"},
                                    {"PUBLIC_URL", kPublicUrl},
                                    {"PARLEY_REPLY_MODE", "rest"},
                                    {"TWILIO_ACCOUNT_SID", (*standin)->options().account_sid},
                                    {"TWILIO_AUTH_TOKEN", (*standin)->options().auth_token},
                                    {"TWILIO_API_BASE", (*standin)->base_url()},
                                    {"PARLEY_TEST_CLOCK_FILE", clock_file.string()}},
                                   "checkin-clock");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_NE((*server)->Log().find("PARLEY_TEST_CLOCK_FILE is set"), std::string::npos);

  testing::TwilioDriverOptions o;
  o.auth_token = (*standin)->options().auth_token;
  o.account_sid = (*standin)->options().account_sid;
  o.public_url = kPublicUrl;
  o.connect_port = (*server)->port();
  testing::TwilioDriver driver(o);
  for (const char* body : {"JOIN", "yes", "Ana"}) {
    auto r = driver.Post("/twilio/messages",
                         driver.SmsParams(kAna, kOurNumber, body, driver.NewMessageSid()));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }
  ASSERT_TRUE((*standin)->WaitForCreated(3, std::chrono::seconds(10))) << (*server)->Log();

  // The recurring check-in is stored for 09:00 Lima that morning.
  auto contact = (*store)->FindContact(kAna);
  ASSERT_TRUE(contact.ok() && contact->has_value());
  auto session = (*store)->LatestSession((*contact)->id);
  ASSERT_TRUE(session.ok() && session->has_value());
  auto timers = (*store)->Timers((*session)->id);
  ASSERT_TRUE(timers.ok());
  TimePoint due{};
  for (const store::TimerRecord& t : *timers) {
    if (t.name == "daily") {
      due = t.due;
      ASSERT_TRUE(t.recur.has_value());
    }
  }
  EXPECT_EQ(flow::FormatLocal(due, "America/Lima"), "2026-03-05 09:00:00 -05:00");
  EXPECT_EQ((*standin)->created().size(), 3u);  // nothing fires before 09:00

  SetServerClock(clock_file, due - std::chrono::seconds(1));
  ASSERT_TRUE((*standin)->WaitForCreated(4, std::chrono::seconds(10))) << (*server)->Log();
  const auto created = (*standin)->created();
  ASSERT_EQ(created.size(), 4u);
  EXPECT_EQ(created[3].form.Get("Body"), kQuestion);
  EXPECT_EQ(created[3].form.Get("To"), kAna);
  EXPECT_EQ(created[3].form.Get("From"), kOurNumber);

  // Set again for the next morning, in the transaction that fired it.
  auto after = (*store)->Timers((*session)->id);
  ASSERT_TRUE(after.ok());
  bool next_morning = false;
  for (const store::TimerRecord& t : *after) {
    next_morning = next_morning || (t.name == "daily" && flow::FormatLocal(t.due, "America/Lima") ==
                                                             "2026-03-06 09:00:00 -05:00");
  }
  EXPECT_TRUE(next_morning);

  auto exit = (*server)->Stop(SIGTERM);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(*exit, 0) << (*server)->Log();
  store->reset();
  fs::remove_all(dir);
}

// Issue 10: a clock file without the test-only marker stops the start (exit 2): the key cannot
// shift a real server's clock by accident.
TEST(CheckinClockE2eTest, UnmarkedClockFileIsRefused) {
  const fs::path dir =
      fs::temp_directory_path() / ("parley-checkin-clock-bad-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  std::ofstream(dir / "clock") << "3600\n";
  const std::string cmd =
      "cd " + dir.string() + " && DATABASE_URL=sqlite:" + (dir / "p.db").string() +
      " PARLEY_TEST_CLOCK_FILE=" + (dir / "clock").string() + " " + PARLEY_BINARY +
      " serve --listen 127.0.0.1:0 --migrate > " + (dir / "out").string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(dir / "out");
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(out.find("not a test clock file"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley
