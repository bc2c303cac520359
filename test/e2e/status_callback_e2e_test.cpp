// Issue 9 (status callbacks), end to end: the real `parley serve` binary on SQLite and on a
// private PostgreSQL cluster, sent signed status callbacks to POST /twilio/status as Twilio
// sends them. The outbound messages they report on are seeded through the Store as the REST
// sender leaves them (a provider sid, status "queued"), so the test does not depend on a
// channel; the test reads the database through the Store to see what the server wrote.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using store::MessageStatus;
using ::testing::HasSubstr;
using testing::PgCluster;
using testing::PostOptions;
using testing::ServeProcess;
using testing::SignatureMode;
using testing::TwilioDriver;

constexpr char kToken[] = "e2e-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";
constexpr char kAnaWhatsApp[] = "whatsapp:+14155550101";
constexpr char kOurWhatsApp[] = "whatsapp:+15005550006";
const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

class StatusCallbackTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const int n = counter++;
    dir_ = fs::temp_directory_path() /
           ("parley-status-e2e-" + std::to_string(getpid()) + "-" + std::to_string(n));
    fs::create_directories(dir_ / "flows");
    fs::copy_file(fs::path(TEST_SOURCE_DIR) / "test/e2e/flows/reach.json",
                  dir_ / "flows/reach.json");
    if (GetParam() == "postgres") {
      std::string error;
      PgCluster* cluster = PgCluster::Shared(&error);
      ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL: " << error;
      auto url = cluster->CreateDatabase("status_e2e_" + std::to_string(n));
      ASSERT_TRUE(url.ok()) << url.status().ToString();
      url_ = *url;
    } else {
      url_ = "sqlite:" + (dir_ / "parley.db").string();
    }
    auto store = store::OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  static void TearDownTestSuite() { PgCluster::StopShared(); }

  // `address` (Ana on SMS by default) in the reach flow's ASK state, and its question sent
  // `count` times, each accepted by Twilio as the REST sender records it (a sid, status
  // "queued"). Returns the sids.
  std::vector<std::string> SeedQuestions(TwilioDriver& d, int count,
                                         const std::string& address = kAna) {
    const bool whatsapp = address.starts_with("whatsapp:");
    std::vector<std::string> sids;
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    store::ContactRecord init;
    init.address = address;
    init.channel = whatsapp ? "whatsapp" : "sms";
    init.phone = kAna;
    init.created_at = kT0;
    auto contact = (*tx)->LockContact(init);
    EXPECT_TRUE(contact.ok());
    store::SessionRecord session;
    session.contact_id = contact->id;
    session.flow_revision = "seeded";
    session.session.flow_id = "reach";
    session.session.state = "ASK";
    session.started_at = session.updated_at = kT0;
    EXPECT_TRUE((*tx)->SaveSession(session).ok());
    for (int i = 0; i < count; ++i) {
      store::MessageRecord m;
      m.contact_id = contact->id;
      m.session_id = session.id;
      m.direction = store::MessageRecord::Direction::kOutbound;
      m.from = whatsapp ? kOurWhatsApp : kOurNumber;
      m.to = address;
      m.body = "Are you there?";
      m.created_at = kT0;
      EXPECT_TRUE((*tx)->EnqueueOutbound(m).ok());
    }
    EXPECT_TRUE((*tx)->Commit().ok());
    // A claim hands out only the head of a contact's queue: one message per round, as the
    // sender sends them.
    for (int i = 0; i < count; ++i) {
      auto claimed = store_->ClaimOutbox(kT0, count, std::chrono::seconds(30));
      EXPECT_TRUE(claimed.ok());
      for (const store::OutboxItem& item : claimed.value_or({})) {
        sids.push_back(d.NewMessageSid());
        EXPECT_TRUE(store_->FinishOutbox(item.id, MessageStatus::kQueued, sids.back(), "").ok());
      }
    }
    EXPECT_EQ(sids.size(), static_cast<size_t>(count));
    return sids;
  }

  void Serve() {
    auto p = ServeProcess::Start(PARLEY_BINARY, dir_.string(),
                                 {{"DATABASE_URL", url_},
                                  {"PARLEY_FLOWS", "flows"},
                                  {"TWILIO_AUTH_TOKEN", kToken},
                                  {"PUBLIC_URL", kPublicUrl},
                                  {"PARLEY_REPLY_MODE", "rest"}});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(*p);
  }
  TwilioDriver Driver() {
    testing::TwilioDriverOptions o;
    o.auth_token = kToken;
    o.public_url = kPublicUrl;
    o.connect_port = server_ ? server_->port() : 0;
    return TwilioDriver(o);
  }
  // Posts a status callback; returns the HTTP status (the body must be empty on 200).
  int Callback(TwilioDriver& d, const std::string& sid, std::string_view status,
               std::string_view error_code = "", const PostOptions& options = {},
               std::string_view to = kAna) {
    const std::string_view from = to.starts_with("whatsapp:") ? kOurWhatsApp : kOurNumber;
    auto r = d.Post("/twilio/status", d.StatusParams(sid, status, from, to, error_code), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) {
      return 0;
    }
    if (r->status == 200) {
      EXPECT_EQ(r->body, "");
    }
    return r->status;
  }
  store::MessageRecord BySid(const std::string& sid) {
    auto m = store_->FindOutboundBySid(sid);
    EXPECT_TRUE(m.ok() && m->has_value()) << sid;
    return m.ok() && m->has_value() ? **m : store::MessageRecord{};
  }
  std::string State(const std::string& address = kAna) {
    auto contact = store_->FindContact(address);
    auto s = store_->LatestSession((*contact)->id);
    return s.ok() && s->has_value() ? (*s)->session.state : "(none)";
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ServeProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StatusCallbackTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(StatusCallbackTest, StatusesMoveForwardOnlyAndDuplicatesAreHarmless) {
  TwilioDriver seeder = Driver();
  const auto sids = SeedQuestions(seeder, 1);
  ASSERT_NO_FATAL_FAILURE(Serve());
  TwilioDriver d = Driver();
  const std::string& sid = sids.at(0);
  EXPECT_EQ(Callback(d, sid, "sending"), 200);
  EXPECT_EQ(Callback(d, sid, "delivered"), 200);
  EXPECT_EQ(Callback(d, sid, "sent"), 200);  // late: stays delivered
  EXPECT_EQ(Callback(d, sid, "delivered"), 200);
  EXPECT_EQ(BySid(sid).status, MessageStatus::kDelivered);
  EXPECT_EQ(Callback(d, sid, "read"), 200);
  EXPECT_EQ(BySid(sid).status, MessageStatus::kRead);
  EXPECT_EQ(State(), "ASK");
  EXPECT_EQ(server_->Stop(SIGTERM).value_or(-1), 0) << server_->Log();
}

TEST_P(StatusCallbackTest, AnUndeliveredQuestionIsFinalKeepsItsErrorCodeAndStepsTheFlow) {
  TwilioDriver seeder = Driver();
  const auto sids = SeedQuestions(seeder, 1);
  ASSERT_NO_FATAL_FAILURE(Serve());
  TwilioDriver d = Driver();
  const std::string& sid = sids.at(0);
  EXPECT_EQ(Callback(d, sid, "sent"), 200);
  EXPECT_EQ(Callback(d, sid, "undelivered", "30003"), 200);
  EXPECT_EQ(State(), "UNREACHABLE");  // the flow's delivery_failed edge
  EXPECT_EQ(Callback(d, sid, "delivered"), 200);
  EXPECT_EQ(Callback(d, sid, "failed", "30008"), 200);
  const store::MessageRecord m = BySid(sid);
  EXPECT_EQ(m.status, MessageStatus::kUndelivered);
  EXPECT_EQ(m.error_code, "30003");
  auto contact = store_->FindContact(kAna);
  auto session = store_->LatestSession((*contact)->id);
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->session.vars.Find("failed")->as_string(), "yes");
  EXPECT_EQ((*session)->session.step, 1u);  // the repeats did not step it again
}

TEST_P(StatusCallbackTest, UnknownSidsAreAnswered200AndBadSignaturesChangeNothing) {
  TwilioDriver seeder = Driver();
  const auto sids = SeedQuestions(seeder, 1);
  ASSERT_NO_FATAL_FAILURE(Serve());
  TwilioDriver d = Driver();
  const std::string& sid = sids.at(0);
  const std::string unknown = d.NewMessageSid();
  auto before = store_->RowCounts();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(Callback(d, unknown, "delivered"), 200);
  PostOptions wrong;
  wrong.signature = SignatureMode::kWrong;
  EXPECT_EQ(Callback(d, sid, "undelivered", "30003", wrong), 403);
  PostOptions none;
  none.signature = SignatureMode::kNone;
  EXPECT_EQ(Callback(d, sid, "undelivered", "30003", none), 403);
  // A signed callback with a parameter Twilio would not send: 400.
  twilio::Form bad = d.StatusParams(sid, "undelivered", kOurNumber, kAna, "30003x");
  auto r = d.Post("/twilio/status", bad);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("ErrorCode"));
  EXPECT_EQ(BySid(sid).status, MessageStatus::kQueued);
  EXPECT_EQ(State(), "ASK");
  EXPECT_EQ(*store_->RowCounts(), *before);
  // An unknown MessageSid is logged with the sid (INFO).
  std::string log;
  for (int i = 0; i < 100 && log.find(unknown) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    log = server_->Log();
  }
  EXPECT_THAT(log, HasSubstr("status callback for unknown MessageSid " + unknown));
}

TEST_P(StatusCallbackTest, WhatsAppCallbacksFindTheWhatsAppContact) {
  TwilioDriver seeder = Driver();
  const auto sids = SeedQuestions(seeder, 2, kAnaWhatsApp);
  ASSERT_NO_FATAL_FAILURE(Serve());
  TwilioDriver d = Driver();
  EXPECT_EQ(Callback(d, sids.at(0), "read", "", {}, kAnaWhatsApp), 200);
  EXPECT_EQ(BySid(sids.at(0)).status, MessageStatus::kRead);
  // Outside the 24-hour window: 63016, and the flow hears of it.
  EXPECT_EQ(Callback(d, sids.at(1), "failed", "63016", {}, kAnaWhatsApp), 200);
  EXPECT_EQ(BySid(sids.at(1)).error_code, "63016");
  EXPECT_EQ(State(kAnaWhatsApp), "UNREACHABLE");
  // The same sid reported for Ana's SMS address is not her WhatsApp contact's message.
  EXPECT_EQ(Callback(d, sids.at(0), "failed", "30008"), 200);
  EXPECT_EQ(BySid(sids.at(0)).status, MessageStatus::kRead);
}

}  // namespace
}  // namespace parley
