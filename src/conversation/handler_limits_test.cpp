// Issue 8 item 6, in process through a real Pipeline on SQLite and PostgreSQL: a step that
// fails on a handler limit keeps the service's handler-error semantics (the message is
// recorded, the session stays, nothing is sent) and pauses only that contact's handlers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"
#include "flow/loader.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The trigger LIMIT starts it; afterwards "spin" makes the condition fail as a handler that
// ran out of time does (ResourceExhausted), anything else is answered.
constexpr char kLimitedFlow[] = R"({
  "flow": "limited",
  "triggers": ["LIMIT"],
  "states": [{"name": "LOOP", "enter": {"send": "ready"},
              "states": [{"name": "@LOOP", "condition": "slow", "enter": {"send": "ok {{reply}}"}}]}]
})";

class HandlerLimitsTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    handlers_.AddCondition("slow", [](const flow::HandlerContext& ctx) -> Result<bool> {
      if (ctx.event().text == "spin") {
        return Status::ResourceExhausted(
            "slow.lua: error in 'slow': slow.lua:1: timed out: the call ran longer than 100 ms");
      }
      return true;
    });
    flow::CompileOptions options;
    options.registry = &handlers_;
    auto compiled = flow::Compile(kLimitedFlow, options);
    ASSERT_NE(compiled.flow, nullptr);
    auto catalog = FlowCatalog::Build({compiled.flow});
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = *catalog;
    StartPipeline();
  }
  double MetricValue(const std::string& name) const {
    const std::string text = Metrics();
    const size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, HandlerLimitsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(HandlerLimitsTest, ALimitPausesOnlyThatContactForABackOff) {
  EXPECT_THAT(Replies(Sms(kAna, "LIMIT")), ElementsAre("ready"));
  EXPECT_THAT(Replies(Sms(kBob, "LIMIT")), ElementsAre("ready"));
  const auto before = Session(kAna);

  ASSERT_OK_AND_ASSIGN(Outcome spun, Run(Sms(kAna, "spin")));
  EXPECT_THAT(spun.flow_error, HasSubstr("timed out"));
  EXPECT_EQ(spun.flow_error_summary, "flow 'limited' state 'LOOP' handler 'slow': timed out");
  EXPECT_THAT(spun.replies, IsEmpty());

  // Within the back-off the flow does not run for Ana: a handler error like any other.
  ASSERT_OK_AND_ASSIGN(Outcome paused, Run(Sms(kAna, "hi")));
  EXPECT_THAT(paused.flow_error, HasSubstr("paused until"));
  EXPECT_EQ(paused.flow_error_summary, "flow 'limited': paused after a limit");
  EXPECT_THAT(paused.replies, IsEmpty());
  EXPECT_EQ(Log(kAna).back(), "in:hi");  // recorded
  EXPECT_EQ(Session(kAna)->session.step, before->session.step);
  EXPECT_EQ(MetricValue("parley_flow_paused_events_total"), 1);
  EXPECT_EQ(MetricValue("parley_flow_limit_errors_total"), 1);
  EXPECT_EQ(MetricValue("parley_flow_errors_total"), 2);

  EXPECT_THAT(Replies(Sms(kBob, "hi")), ElementsAre("ok hi"));  // others carry on

  // After the back-off (1 s) the flow runs again, and a step within its limits resets it.
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_THAT(Replies(Sms(kAna, "hi again")), ElementsAre("ok hi again"));
  ASSERT_OK_AND_ASSIGN(Outcome again, Run(Sms(kAna, "spin")));
  EXPECT_THAT(again.flow_error, HasSubstr("timed out"));
  clock_.Advance(std::chrono::seconds(1));  // the first back-off again, not a doubled one
  EXPECT_THAT(Replies(Sms(kAna, "back")), ElementsAre("ok back"));
}

}  // namespace
}  // namespace parley::conversation::testing
