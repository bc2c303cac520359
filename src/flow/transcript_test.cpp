#include "flow/transcript.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "flow/loader.hpp"

namespace parley::flow {
namespace {

using ::testing::HasSubstr;

constexpr const char* kReminders = R"({"flow": "r", "states": [
  {"name": "ASK", "enter": [{"send": "Did you check?"}, {"timer": {"name": "remind", "after": "2h"}}],
   "states": [
    {"name": "@ASK", "condition": {"all": [{"timer": "remind"}, {"not": {"var": "misses", "gte": 2}}]},
     "enter": [{"inc": "misses"}, {"send": "Reminder {{misses}}"},
               {"timer": {"name": "remind", "after": "2h"}}]},
    {"name": "GAVE_UP", "condition": {"timer": "remind"}, "enter": {"send": "Bye"}},
    {"name": "DONE", "condition": "yes", "enter": [{"cancel": "remind"}, {"send": "Great"}]}]}]})";

// Echoes who and what: contact attributes, media, the clock (via an `at` timer).
constexpr const char* kEcho = R"json({"states": [
  {"name": "A", "enter": {"send": "Hi {{contact.name}} ({{contact.phone}}, {{contact.channel}}, {{contact.plan}})"},
   "states": [
    {"name": "@A", "condition": "has_media", "enter": [{"save": "caption"}, {"send": "Got media"}]},
    {"name": "@A", "condition": "any_text",
     "enter": [{"save": "said"}, {"timer": {"name": "t", "at": "09:00"}}]},
    {"name": "@A", "condition": {"timer": "t"}, "enter": {"send": "Nine o'clock"}}]}]})json";

std::shared_ptr<const Flow> Load(const char* text) {
  auto r = Compile(text);
  std::string errors;
  for (const auto& d : r.diagnostics) {
    errors += FormatDiagnostic(d, "flow") + "\n";
  }
  EXPECT_NE(r.flow, nullptr) << errors;
  return r.flow;
}

TranscriptOutcome Replay(const char* flow, std::string_view transcript) {
  const auto t = ParseTranscript(transcript, "t.txt");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) {
    return {};
  }
  return RunTranscript(*t, Load(flow));
}

TEST(Transcript, ParsesEveryDirective) {
  const auto t = ParseTranscript(R"(# comment

contact phone +15550001111
contact field plan gold plus
clock 2026-11-24T09:00:00Z
start
  > hello there  
+ https://example.com/a.jpg
>
< exact text
< /re.*x/
= ASK
? n = 5.5
? empty =
? gone unset
! completed
~ 1d12h
)",
                                 "all.txt");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  using K = Directive::Kind;
  const auto& d = t->directives;
  ASSERT_EQ(d.size(), 15u);
  EXPECT_EQ(d[0].kind, K::kContact);
  EXPECT_EQ(d[0].line, 3);
  EXPECT_EQ(d[1].arg, "field");
  EXPECT_EQ(d[1].value, "plan gold plus");
  EXPECT_EQ(d[2].at, *ParseUtc("2026-11-24T09:00:00Z"));
  EXPECT_EQ(d[3].kind, K::kStart);
  EXPECT_EQ(d[4].kind, K::kSay);
  EXPECT_EQ(d[4].value, "hello there");
  EXPECT_EQ(d[5].kind, K::kMedia);
  EXPECT_EQ(d[6].kind, K::kSay);
  EXPECT_EQ(d[6].value, "");
  EXPECT_EQ(d[7].kind, K::kExpectReply);
  EXPECT_EQ(d[8].kind, K::kExpectRegex);
  EXPECT_EQ(d[8].value, "re.*x");
  EXPECT_EQ(d[9].kind, K::kExpectState);
  EXPECT_EQ(d[10].kind, K::kExpectVar);
  EXPECT_EQ(d[10].arg, "n");
  EXPECT_EQ(d[10].value, "5.5");
  EXPECT_EQ(d[11].kind, K::kExpectVar);
  EXPECT_EQ(d[11].value, "");
  EXPECT_EQ(d[12].kind, K::kExpectUnset);
  EXPECT_EQ(d[12].arg, "gone");
  EXPECT_EQ(d[13].kind, K::kExpectStatus);
  EXPECT_EQ(d[14].kind, K::kAdvance);
  EXPECT_EQ(d[14].duration, std::chrono::hours(36));
  EXPECT_EQ(d[14].line, 17);
}

TEST(Transcript, ParseErrorsNameTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"> hi\nwat now\n", "x.txt:2: unknown directive 'wat'"},
      {">hi\n", "x.txt:1: unknown directive '>hi' (put a space after '>')"},
      {"~ 2x\n", "x.txt:1: bad duration '2x'"},
      {"< /(/\n", "x.txt:1: bad regex /(/: missing )"},
      {"! done\n", "x.txt:1: unknown status 'done' (use active, completed"},
      {"clock tomorrow\n", "x.txt:1: bad time 'tomorrow'"},
      {"clock 2026-02-30T00:00:00Z\n", "x.txt:1: bad time '2026-02-30T00:00:00Z': no such date"},
      {"clock 2026-01-01T00:00:00Zjunk\n", "x.txt:1: bad time"},
      {"contact age 3\n", "x.txt:1: unknown contact attribute 'age'"},
      {"? n\n", "x.txt:1: expected '? var = value' or '? var unset'"},
      {"start now\n", "x.txt:1: 'start' takes nothing after it"},
      {"=\n", "x.txt:1: '=' needs a state name"},
      {"+ http://x/a.jpg\n< hi\n", "x.txt:1: '+' attaches media to a '>' message"},
      {"> a\n+ http://x/a.jpg\n", "x.txt:2: '+' attaches media"},
  };
  for (const auto& [text, error] : cases) {
    const auto t = ParseTranscript(text, "x.txt");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_THAT(t.status().message(), HasSubstr(error)) << text;
  }
}

TEST(Transcript, PassesAndReportsCoverage) {
  const auto out = Replay(kReminders, R"(# a happy path
clock 2026-11-24T09:00:00Z
contact name Ana
< Did you check?
~ 2h
< Reminder 1
? misses = 1
= ASK
! active
> Yes!
< /Gr.at/
! completed
? other unset
)");
  EXPECT_TRUE(out.passed) << out.failure;
  EXPECT_EQ(out.failure, "");
  EXPECT_EQ(out.covered_edges,
            (std::set<std::string>{"states[0].states[0]", "states[0].states[2]"}));
}

TEST(Transcript, ContactMediaAndClockReachTheFlow) {
  const auto out = Replay(kEcho, R"(contact name Ana
contact phone +15550001111
contact channel whatsapp
contact field plan gold
clock 2026-11-24T20:00:00Z
< Hi Ana (+15550001111, whatsapp, gold)
+ https://example.com/a.jpg
> look
< Got media
? caption = look
> later
? said = later
~ 13h
< Nine o'clock
)");
  EXPECT_TRUE(out.passed) << out.failure;
}

TEST(Transcript, TimersFireOnlyWhenDue) {
  // "x" at 20:00 sets a timer for the next 09:00, 13 hours later.
  constexpr const char* kStart = "clock 2026-11-24T20:00:00Z\n< Hi  (+15550000000, sms, )\n> x\n";
  const auto early = Replay(kEcho, std::string(kStart) + "~ 12h59m\n< Nine o'clock\n");
  EXPECT_EQ(early.failure,
            "t.txt:5: expected reply \"Nine o'clock\"\n"
            "              got no reply");
  const auto due = Replay(kEcho, std::string(kStart) + "~ 12h59m\n~ 1m\n< Nine o'clock\n");
  EXPECT_TRUE(due.passed) << due.failure;
}

TEST(Transcript, ReportsTheFirstMismatchWithItsLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"< Did you check?\n> yes\n< Good\n",
       "t.txt:3: expected reply \"Good\"\n"
       "              got reply \"Great\""},
      {"< Did you check?\n> yes\n< /Go+d/\n",
       "t.txt:3: expected reply /Go+d/\n"
       "              got reply \"Great\""},
      {"< Did you check?\n= DONE\n",
       "t.txt:2: expected state DONE\n"
       "              got state ASK"},
      {"< Did you check?\n! completed\n",
       "t.txt:2: expected status completed\n"
       "              got status active"},
      {"> yes\n",
       "t.txt:1: unexpected reply \"Did you check?\" (add a '<' line for it before this one)"},
      {"< Did you check?\n> maybe\n< x\n",
       "t.txt:3: expected reply \"x\"\n"
       "              got no reply"},
      {"< Did you check?\n? misses = 3\n",
       "t.txt:2: expected misses = \"3\"\n"
       "              got misses unset"},
      {"< Did you check?\n~ 2h\n< Reminder 1\n? misses = 2\n",
       "t.txt:4: expected misses = \"2\"\n"
       "              got misses = \"1\""},
      {"< Did you check?\n~ 2h\n< Reminder 1\n? misses unset\n",
       "t.txt:4: expected misses unset\n"
       "              got misses = \"1\""},
      {"< Did you check?\n~ 2h\n",
       "t.txt:2: unexpected reply \"Reminder 1\" at the end of the transcript"},
      {"< Did you check?\n> yes\n< Great\n> more\n",
       "t.txt:4: the message failed: the session is completed"},
      {"< Did you check?\ncontact name Bo\n",
       "t.txt:2: 'contact' must come before the session starts"},
      {"start\n< Did you check?\nclock 2026-01-01T00:00:00Z\n",
       "t.txt:3: 'clock' must come before the session starts"},
  };
  for (const auto& [text, failure] : cases) {
    const auto out = Replay(kReminders, text);
    EXPECT_FALSE(out.passed) << text;
    EXPECT_EQ(out.failure, failure) << text;
  }
}

TEST(Transcript, CoverageIsReportedEvenOnFailure) {
  const auto out = Replay(kReminders, "< Did you check?\n~ 2h\n< wrong\n");
  EXPECT_FALSE(out.passed);
  EXPECT_EQ(out.covered_edges, (std::set<std::string>{"states[0].states[0]"}));
}

TEST(Transcript, ExplicitStartRestartsTheSession) {
  const auto out = Replay(kReminders,
                          "< Did you check?\n> yes\n< Great\n! completed\n"
                          "start\n< Did you check?\n! active\n? misses unset\n");
  EXPECT_TRUE(out.passed) << out.failure;
}

TEST(Transcript, ParseUtcRoundTrips) {
  const auto t = ParseUtc("2026-11-24T09:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ToUnixMillis(*t), 1795510800000);
  EXPECT_EQ(FormatUtc(*t), "2026-11-24T09:00:00.000Z");
  EXPECT_FALSE(ParseUtc("2026-11-24 09:00:00").ok());
  EXPECT_FALSE(ParseUtc("2026-11-24T24:00:00Z").ok());
}

}  // namespace
}  // namespace parley::flow

namespace parley::flow {
namespace {

// Issue 9 (status callbacks): transcripts can play a delivery failure, so a flow's
// delivery_failed edges are tested like its timers.
TEST(Transcript, PlaysDeliveryFailures) {
  constexpr const char* kFlow = R"json({"flow": "f", "states": [
    {"name": "ASK", "enter": {"send": "Are you there?"}, "states": [
      {"name": "@ASK", "condition": "always", "enter": {"send": "got it"}},
      {"name": "WINDOW", "condition": {"delivery_failed": "63016"}},
      {"name": "LOST", "condition": "delivery_failed", "enter": {"send": "trying again"},
       "states": [{"name": "@LOST", "condition": "always"}]}]}]})json";
  const auto out = Replay(kFlow, R"(< Are you there?
undelivered 30003
< trying again
= LOST
failed
= LOST
)");
  EXPECT_TRUE(out.passed) << out.failure;
  const auto window = Replay(kFlow, "< Are you there?\nfailed 63016\n= WINDOW\n! completed\n");
  EXPECT_TRUE(window.passed) << window.failure;
  const auto bad = ParseTranscript("undelivered soon\n", "t.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("t.txt:1: 'undelivered' takes"));
}

}  // namespace
}  // namespace parley::flow

namespace parley::flow {
namespace {

// A flow that sends a reply ending in spaces ("Hi " for a name left empty).
constexpr const char* kTrailing = R"({"states": [
  {"name": "A", "enter": {"send": "Name? "}, "states": [
    {"name": "@A", "condition": "any_text", "enter": {"send": "Hi {{reply}}  "}}]}]})";

// Issue 12 item 9: a `<` line keeps its trailing spaces, and a mismatch that differs only
// there says so.
TEST(TranscriptAuthoring, ExpectedTextKeepsTrailingSpaces) {
  const auto flow = Load(kTrailing);
  const auto run = [&](const char* text) {
    auto t = ParseTranscript(text, "t.txt");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return RunTranscript(*t, flow);
  };
  const auto ok = run("< Name? \n> Ana\n< Hi Ana  \n");
  EXPECT_TRUE(ok.passed) << ok.failure;
  // CRLF lines: the CR is the line's end, not part of the text.
  const auto crlf = run("< Name? \r\n> Ana\r\n< Hi Ana  \r\n");
  EXPECT_TRUE(crlf.passed) << crlf.failure;
  const auto trimmed = run("< Name? \n> Ana\n< Hi Ana\n");
  EXPECT_FALSE(trimmed.passed);
  EXPECT_EQ(trimmed.failure,
            "t.txt:3: expected reply \"Hi Ana\"\n"
            "              got reply \"Hi Ana  \" (ends with 2 spaces)");
  // A regex line is still a regex with a space after its closing slash.
  const auto regex = run("< Name? \n> Ana\n< /Hi .*/ \n");
  EXPECT_TRUE(regex.passed) << regex.failure;
}

ComplianceRules TestRules() {
  ComplianceRules rules;
  rules.help_text = "Reply STOP to stop.";
  rules.classify = [](std::string_view body) {
    return body == "STOP"    ? ComplianceKeyword::kStop
           : body == "START" ? ComplianceKeyword::kStart
           : body == "HELP"  ? ComplianceKeyword::kHelp
                             : ComplianceKeyword::kNone;
  };
  return rules;
}

// Issue 12 item 9: STOP, START and HELP as the server handles them, so `! opted_out` can be
// tested offline: STOP ends the session as opted_out and drops its timers, HELP is answered
// by the help text, an opted-out contact's messages and HELP reach nothing.
TEST(TranscriptAuthoring, ComplianceKeywordsBehaveAsOnTheServer) {
  const auto flow = Load(kReminders);
  auto t = ParseTranscript(
      "< Did you check?\n> HELP\n< Reply STOP to stop.\n= ASK\n! active\n"
      "> STOP\n! opted_out\n~ 4h\n> yes\n> HELP\n! opted_out\n> START\n! opted_out\n",
      "t.txt");
  ASSERT_TRUE(t.ok()) << t.status().message();
  const auto out = RunTranscript(*t, flow, TestRules());
  EXPECT_TRUE(out.passed) << out.failure;
  // Without the rules (the flow library's default), STOP is an ordinary reply.
  const auto plain = RunTranscript(*t, flow);
  EXPECT_FALSE(plain.passed);
  // `start` is refused while opted out, as `parley start` is.
  auto restart = ParseTranscript("< Did you check?\n> STOP\nstart\n", "r.txt");
  const auto refused = RunTranscript(*restart, flow, TestRules());
  EXPECT_THAT(refused.failure, HasSubstr("r.txt:3: starting the session failed: the contact has "
                                         "opted out"));
}

}  // namespace
}  // namespace parley::flow
