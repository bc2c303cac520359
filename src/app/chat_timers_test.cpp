// Issue 10: `parley chat` and timers. /state lists only timers that will fire (not one the
// session moved past, which the server drops as stale), /timers shows each pending timer with
// its due time in the contact's zone, and /wait advances the simulated clock so recurring
// timers and the session expiry fire.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A reminder (`nudge`, one-shot, turns stale when the session moves) and a recurring check-in.
constexpr char kFlow[] = R"({"flow": "c", "tz": "America/New_York", "expire_after": "3d",
  "on_expire": {"send": "Goodbye"},
  "states": [
    {"name": "ASK", "enter": [{"send": "Ready?"}, {"timer": {"name": "nudge", "after": "1h"}},
                              {"timer": {"name": "checkin", "at": "09:00", "every": "1d"}}],
     "states": [{"name": "@ASK", "condition": {"timer": "checkin"}, "enter": {"send": "Check-in"}},
                {"name": "NUDGED", "condition": {"timer": "nudge"}, "enter": {"send": "Nudge"},
                 "states": [{"name": "@ASK", "condition": "any_text"}]},
                {"name": "NEXT", "condition": "any_text",
                 "states": [{"name": "@NEXT", "condition": "any_text"},
                            {"name": "@NEXT", "condition": {"timer": "checkin"},
                             "enter": {"send": "Check-in"}}]}]}]})";

struct Chat {
  std::string out;
};

Chat RunChat(const std::string& args, const std::string& input) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("parley_chat_timers_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto flow = dir / "c.json";
  std::ofstream(flow) << kFlow;
  const auto in = dir / "in.txt";
  std::ofstream(in) << input;
  const std::string cmd = std::string(PARLEY_BINARY) + " chat " + flow.string() + " " + args +
                          " < " + in.string() + " 2>&1";
  Chat r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  pclose(p);
  std::filesystem::remove_all(dir);
  return r;
}

// Issue 10: after the session moves, /state no longer lists the one-shot reminder it set
// (it would be dropped as stale); /timers marks it, and shows due times in the contact's zone.
TEST(ChatTimers, StateHidesStaleTimersAndTimersShowsLocalDueTimes) {
  const Chat chat = RunChat("--tz Europe/Kyiv", "/state\nlater\n/state\n/timers\n/quit\n");
  // Before the move: both listed.
  const size_t moved = chat.out.find("> later");
  ASSERT_NE(moved, std::string::npos) << chat.out;
  const std::string before = chat.out.substr(0, moved);
  const std::string after = chat.out.substr(moved);
  EXPECT_THAT(before, HasSubstr("timer nudge due"));
  const std::string state_after = after.substr(0, after.find("> /timers"));
  EXPECT_THAT(state_after, Not(HasSubstr("timer nudge due"))) << chat.out;
  EXPECT_THAT(state_after, HasSubstr("timer checkin due"));
  // The chat clock starts at 2026-01-05T08:00Z: 10:00 in Kyiv, so the next 09:00 is tomorrow.
  EXPECT_THAT(after, HasSubstr("timer checkin due 2026-01-06 09:00:00 +02:00 (Europe/Kyiv), "
                               "recurring"));
  EXPECT_THAT(after, HasSubstr("timer nudge due 2026-01-05 11:00:00 +02:00 (Europe/Kyiv), "
                               "stale: will be dropped"));
  EXPECT_THAT(after, HasSubstr("session expiry due 2026-01-08 10:00:00 +02:00"));
}

// Issue 10: /wait fires the recurring check-in each day, then the idle session expires with
// the on_expire goodbye.
TEST(ChatTimers, WaitFiresRecurringTimersAndExpiresTheSession) {
  const Chat chat = RunChat("", "later\n/wait 2d\n/wait 2d\n/state\n/quit\n");
  EXPECT_THAT(chat.out, HasSubstr("timer checkin fired]\n  [NEXT -> NEXT]\n< Check-in"));
  EXPECT_THAT(chat.out, HasSubstr("timer @expire fired]\n< Goodbye"));
  EXPECT_THAT(chat.out, HasSubstr("(expired)"));
}

}  // namespace
