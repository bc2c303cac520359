// The fixture of conversation::Service's in-process suite (service_test.cpp and the
// service_*_test.cpp files beside it): a real Pipeline on SQLite and on PostgreSQL
// (conversation_test_fixture.hpp), started for each test, with helpers that read what an
// event left behind.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conversation/conversation_test_fixture.hpp"

namespace parley::conversation::testing {

inline constexpr char kOptInQuestion[] =
    "Hi! This is your daily blood sugar check-in. Would you like a message every morning? "
    "Reply YES or NO.";

class ServiceTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }
  // The contact's pending timers as "NAME@UTC step=N keep=B".
  std::vector<std::string> Timers(int64_t session_id) {
    std::vector<std::string> out;
    auto timers = store_->Timers(session_id);
    EXPECT_TRUE(timers.ok()) << timers.status().ToString();
    for (const store::TimerRecord& t : timers.value_or({})) {
      out.push_back(t.name + "@" + FormatUtc(t.due) + " step=" + std::to_string(t.step) +
                    " keep=" + (t.keep ? "1" : "0"));
    }
    return out;
  }
  // Drains the outbox as the sender would (the store hands out one message per contact at
  // a time; each is finished as sent), as "from>to:body".
  std::vector<std::string> Outbox() {
    std::vector<std::string> out;
    while (true) {
      auto items = store_->ClaimOutbox(clock_.Now(), 1000, std::chrono::minutes(1));
      EXPECT_TRUE(items.ok()) << items.status().ToString();
      if (!items.ok() || items->empty()) {
        return out;
      }
      std::vector<store::OutboxDelivery> done;
      for (const store::OutboxItem& item : *items) {
        out.push_back(item.from + ">" + item.to + ":" + item.body);
        done.push_back({item.id, store::MessageStatus::kSent, "", ""});
      }
      EXPECT_TRUE(store_->FinishOutboxBatch(done).ok());
    }
  }
  // The value of one unlabelled metric in the registry's text, or -1.
  double MetricValue(const std::string& name) const {
    const std::string text = Metrics();
    const std::string key = "\n" + name + " ";
    const size_t at = text.find(key);
    if (at == std::string::npos) {
      return -1;
    }
    return std::stod(text.substr(at + key.size()));
  }
};

}  // namespace parley::conversation::testing
