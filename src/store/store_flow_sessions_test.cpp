// Store::ActiveSessionStates on both backends (issue 10: `parley check --against` counts the
// live sessions on each state a new revision removes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store_test_fixture.hpp"
#include "test/support/status_testing.hpp"

namespace parley::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Describe(const std::vector<StateCount>& counts) {
  std::vector<std::string> out;
  for (const StateCount& c : counts) {
    out.push_back(c.state + "=" + std::to_string(c.sessions));
  }
  return out;
}

// Issue 10: only active sessions of the named flow count, grouped by state, in state order.
TEST_P(StoreTest, ActiveSessionStatesCountsLiveSessionsByState) {
  ASSERT_OK_AND_ASSIGN(const auto none, store_->ActiveSessionStates("checkin"));
  EXPECT_THAT(none, IsEmpty());
  const auto session = [&](const std::string& address, const std::string& flow,
                           const std::string& state, flow::SessionStatus status) {
    ASSERT_OK_AND_ASSIGN(const ContactRecord contact, MakeContact(*store_, address));
    SessionRecord s = NewSession(contact.id, status);
    s.session.flow_id = flow;
    s.session.state = state;
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->Commit());
  };
  session("+14155550101", "checkin", "ASK_NAME", flow::SessionStatus::kActive);
  session("+14155550102", "checkin", "ASK_NAME", flow::SessionStatus::kActive);
  session("+14155550103", "checkin", "ASK_AGE", flow::SessionStatus::kActive);
  session("+14155550104", "checkin", "ASK_AGE", flow::SessionStatus::kCompleted);
  session("+14155550105", "other", "ASK_AGE", flow::SessionStatus::kActive);
  ASSERT_OK_AND_ASSIGN(const auto counts, store_->ActiveSessionStates("checkin"));
  EXPECT_THAT(Describe(counts), ElementsAre("ASK_AGE=1", "ASK_NAME=2"));
}

}  // namespace
}  // namespace parley::store::testing
