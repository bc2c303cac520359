// Issue 9 (delivery), end to end: the real `parley serve` binary with Twilio credentials and
// TWILIO_API_BASE pointing at the Twilio REST stand-in (test/support). A signed inbound
// webhook goes in; the reply must arrive at the stand-in through the REST API, from the
// number written to, with Basic auth and the StatusCallback, and be stored as sent with
// Twilio's sid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"
#include "test/support/twilio_rest_standin.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ServeProcess;
using testing::StandinFault;
using testing::TwilioDriver;
using testing::TwilioRestStandin;

constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kOurNumber[] = "+15005550006";  // owned by the stand-in's account
constexpr char kOurWhatsApp[] = "whatsapp:+14155238886";
constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";

class TwilioRestE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("parley-rest-e2e-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_ / "flows");
    fs::copy_file(fs::path(TEST_SOURCE_DIR) / "examples/checkin/checkin.json",
                  dir_ / "flows/checkin.json");
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    auto store = store::OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
    auto standin = TwilioRestStandin::Start();
    ASSERT_TRUE(standin.ok()) << standin.status().ToString();
    standin_ = std::move(*standin);
  }
  void TearDown() override {
    server_.reset();
    standin_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  std::map<std::string, std::string> Env() const {
    return {{"DATABASE_URL", url_},
            {"PARLEY_FLOWS", "flows"},
            {"PUBLIC_URL", kPublicUrl},
            {"PARLEY_REPLY_MODE", "rest"},
            {"TWILIO_ACCOUNT_SID", standin_->options().account_sid},
            {"TWILIO_AUTH_TOKEN", standin_->options().auth_token},
            {"TWILIO_API_BASE", standin_->base_url()}};
  }
  void Serve(const std::map<std::string, std::string>& env) {
    auto p = ServeProcess::Start(PARLEY_BINARY, dir_.string(), env);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(*p);
  }
  TwilioDriver Driver() const {
    testing::TwilioDriverOptions o;
    o.auth_token = standin_->options().auth_token;  // Twilio signs with the same token
    o.public_url = kPublicUrl;
    o.account_sid = standin_->options().account_sid;
    o.connect_port = server_->port();
    return TwilioDriver(o);
  }
  // The contact's outbound messages once they have all left the outbox (at most 10 s).
  std::vector<store::MessageRecord> SentTo(const std::string& address, size_t count) {
    std::vector<store::MessageRecord> out;
    for (int i = 0; i < 1000; ++i) {
      out.clear();
      auto contact = store_->FindContact(address);
      if (contact.ok() && contact->has_value()) {
        for (auto& m : store_->Messages((*contact)->id).value_or({})) {
          // Still in the outbox: queued without Twilio's sid.
          if (m.direction == store::MessageRecord::Direction::kOutbound &&
              (m.status != store::MessageStatus::kQueued || !m.provider_sid.empty())) {
            out.push_back(std::move(m));
          }
        }
      }
      if (out.size() >= count) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return out;
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<TwilioRestStandin> standin_;
  std::unique_ptr<ServeProcess> server_;
};

TEST_F(TwilioRestE2eTest, AReplyReachesTwilioFromTheNumberWrittenToWithBasicAuth) {
  Serve(Env());
  EXPECT_THAT(server_->Log(), HasSubstr("Twilio REST channel"));
  EXPECT_THAT(server_->Log(), HasSubstr("TWILIO_API_BASE is plain http"));
  auto d = Driver();
  auto r = d.Post("/twilio/messages", d.SmsParams(kAna, kOurNumber, "JOIN", d.NewMessageSid()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->messages.empty());  // rest mode: the reply goes through the API, not TwiML

  ASSERT_TRUE(standin_->WaitForCreated(1, std::chrono::seconds(10))) << server_->Log();
  const auto created = standin_->created();
  ASSERT_EQ(created.size(), 1u);
  const testing::StandinRequest& m = created[0];
  EXPECT_EQ(m.path, "/2010-04-01/Accounts/" + standin_->options().account_sid + "/Messages.json");
  EXPECT_EQ(m.user, standin_->options().account_sid);
  EXPECT_EQ(m.password, standin_->options().auth_token);
  EXPECT_EQ(m.form.Get("From"), kOurNumber);
  EXPECT_EQ(m.form.Get("To"), kAna);
  EXPECT_THAT(std::string(m.form.Get("Body")), HasSubstr("daily blood sugar check-in"));
  EXPECT_EQ(m.form.Get("StatusCallback"), std::string(kPublicUrl) + "/twilio/status");

  const auto sent = SentTo(kAna, 1);
  ASSERT_EQ(sent.size(), 1u);
  // Issue 9 item 2: recorded with Twilio's own status ("queued"), not "sent".
  EXPECT_EQ(sent[0].status, store::MessageStatus::kQueued);
  EXPECT_EQ(sent[0].provider_sid, m.sid);

  // WhatsApp: the reply goes out from the WhatsApp number written to.
  r = d.Post("/twilio/messages",
             d.WhatsAppParams(kBob, kOurWhatsApp, "JOIN", d.NewMessageSid(), "Bob"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(standin_->WaitForCreated(2, std::chrono::seconds(10))) << server_->Log();
  const auto whatsapp = standin_->created().at(1);
  EXPECT_EQ(whatsapp.form.Get("From"), kOurWhatsApp);
  EXPECT_EQ(whatsapp.form.Get("To"), std::string("whatsapp:") + kBob);
  EXPECT_EQ(server_->Stop(SIGTERM).value_or(-1), 0) << server_->Log();
}

TEST_F(TwilioRestE2eTest, AServerErrorIsRetriedAndARefusalIsRecordedWithTwiliosCode) {
  Serve(Env());
  auto d = Driver();
  standin_->InjectFault(StandinFault::kServerError);
  auto r = d.Post("/twilio/messages", d.SmsParams(kAna, kOurNumber, "JOIN", d.NewMessageSid()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The sender's first retry comes within 2 s of the 500 (backoff with jitter).
  ASSERT_TRUE(standin_->WaitForCreated(1, std::chrono::seconds(10))) << server_->Log();
  EXPECT_EQ(standin_->requests().size(), 2u);
  EXPECT_EQ(SentTo(kAna, 1).at(0).status, store::MessageStatus::kQueued);

  // Twilio's magic "unsubscribed" number: refused for good, code kept.
  standin_->Block(kBob);
  r = d.Post("/twilio/messages", d.SmsParams(kBob, kOurNumber, "JOIN", d.NewMessageSid()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto failed = SentTo(kBob, 1);
  ASSERT_EQ(failed.size(), 1u) << server_->Log();
  EXPECT_EQ(failed[0].status, store::MessageStatus::kFailed);
  EXPECT_EQ(failed[0].error_code, "21610");
  // Issue 9, the sender: 21610 opted the contact out, and the metrics say what happened.
  auto bob = store_->FindContact(kBob);
  ASSERT_TRUE(bob.ok() && bob->has_value());
  EXPECT_EQ((*bob)->status, store::ContactStatus::kOptedOut);
  testing::PostOptions get;
  get.use_get = true;
  // (The counters move just after the results are committed: wait for the last one.)
  const std::string refused = "parley_outbound_total{status=\"failed\",error_code=\"21610\"} 1\n";
  auto metrics = d.Post("/metrics", {}, get);
  for (int i = 0; i < 100 && metrics.ok() && metrics->body.find(refused) == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    metrics = d.Post("/metrics", {}, get);
  }
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_THAT(metrics->body, HasSubstr(refused));
  EXPECT_THAT(metrics->body, HasSubstr("parley_send_retries_total 1\n"));
  EXPECT_THAT(metrics->body,
              HasSubstr("parley_outbound_total{status=\"queued\",error_code=\"none\"} 1\n"));
  EXPECT_THAT(metrics->body, HasSubstr("parley_send_latency_seconds_count 3\n"));
}

TEST_F(TwilioRestE2eTest, WithoutCredentialsTheDryRunChannelStaysAndTheLogSaysSo) {
  auto env = Env();
  env.erase("TWILIO_ACCOUNT_SID");
  Serve(env);
  EXPECT_THAT(server_->Log(), HasSubstr("no Twilio credentials"));
  auto d = Driver();
  auto r = d.Post("/twilio/messages", d.SmsParams(kAna, kOurNumber, "JOIN", d.NewMessageSid()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto sent = SentTo(kAna, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].status, store::MessageStatus::kSimulated);
  EXPECT_TRUE(standin_->requests().empty());
}

TEST_F(TwilioRestE2eTest, AMalformedAccountSidStopsTheStartNamingTheKey) {
  auto env = Env();
  env["TWILIO_ACCOUNT_SID"] = "AC-not-a-sid";
  auto p = ServeProcess::Start(PARLEY_BINARY, dir_.string(), env);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("TWILIO_ACCOUNT_SID"));
}

}  // namespace
}  // namespace parley
