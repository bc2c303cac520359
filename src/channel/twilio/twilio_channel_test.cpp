// Issue 9 (delivery): the Twilio channel against the Twilio REST stand-in, a real HTTP server
// on a local port: what goes over the wire, every mapping of Twilio's answers, connection
// reuse, timeouts and dropped connections.
#include "channel/twilio/twilio_channel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test/support/twilio_rest_standin.hpp"

namespace parley::channel {
namespace {

using store::MessageStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::StandinFault;
using testing::TwilioRestStandin;

constexpr char kAna[] = "+14155550101";
constexpr char kOurNumber[] = "+15005550006";

class TwilioChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TwilioRestStandinOptions o;
    o.api_key = "SK0123456789abcdef0123456789abcdef";
    o.api_secret = "standin-api-secret";
    auto standin = TwilioRestStandin::Start(o);
    ASSERT_TRUE(standin.ok()) << standin.status().ToString();
    standin_ = std::move(*standin);
  }

  TwilioChannelOptions Options() const {
    TwilioChannelOptions o;
    o.api_base = standin_->base_url();
    o.account_sid = standin_->options().account_sid;
    o.auth_token = standin_->options().auth_token;
    o.senders.sms_from = kOurNumber;
    o.senders.whatsapp_from = "whatsapp:+14155238886";
    o.status_callback = "https://parley.example.com/twilio/status";
    o.http.connect_timeout = std::chrono::seconds(2);
    o.http.timeout = std::chrono::seconds(3);
    return o;
  }
  std::unique_ptr<TwilioChannel> Channel(const TwilioChannelOptions& o) const {
    auto c = TwilioChannel::Create(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  static OutboundMessage Sms(const std::string& to, const std::string& body,
                             const std::string& from = "") {
    OutboundMessage m;
    m.from = from;
    m.to = to;
    m.body = body;
    return m;
  }

  std::unique_ptr<TwilioRestStandin> standin_;
};

TEST_F(TwilioChannelTest, SendsTheFormTwilioExpectsWithBasicAuthAndReadsTheCreatedMessage) {
  auto channel = Channel(Options());
  const SendOutcome out = channel->Send(Sms(kAna, "It's 9:00 + coffee?"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, MessageStatus::kQueued);
  EXPECT_EQ(out->provider_status, "queued");
  EXPECT_EQ(out->segments, 1);

  const auto created = standin_->created();
  ASSERT_EQ(created.size(), 1u);
  const auto& r = created[0];
  EXPECT_EQ(out->provider_sid, r.sid);
  EXPECT_THAT(r.sid, ::testing::StartsWith("SM"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/2010-04-01/Accounts/" + standin_->options().account_sid + "/Messages.json");
  EXPECT_EQ(r.user, standin_->options().account_sid);
  EXPECT_EQ(r.password, standin_->options().auth_token);
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.form.Get("To"), kAna);
  EXPECT_EQ(r.form.Get("From"), kOurNumber);
  EXPECT_EQ(r.form.Get("Body"), "It's 9:00 + coffee?");
  EXPECT_EQ(r.form.Get("StatusCallback"), "https://parley.example.com/twilio/status");
}

TEST_F(TwilioChannelTest, AuthenticatesWithAnApiKeyWhenOneIsSet) {
  auto o = Options();
  o.auth_token.clear();
  o.api_key = standin_->options().api_key;
  o.api_secret = standin_->options().api_secret;
  auto channel = Channel(o);
  const SendOutcome out = channel->Send(Sms(kAna, "Hi"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, MessageStatus::kQueued);
  ASSERT_EQ(standin_->created().size(), 1u);
  EXPECT_EQ(standin_->created()[0].user, o.api_key);
}

TEST_F(TwilioChannelTest, WrongCredentialsAreAFinalFailureWithCode20003) {
  auto o = Options();
  o.auth_token = "not-the-token";
  auto channel = Channel(o);
  const SendOutcome out = channel->Send(Sms(kAna, "Hi"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, MessageStatus::kFailed);
  EXPECT_EQ(out->error_code, "20003");
  EXPECT_TRUE(standin_->created().empty());
  EXPECT_EQ(standin_->requests().at(0).status, 401);
}

TEST_F(TwilioChannelTest, TwiliosMagicNumbersAreFinalFailuresCarryingTheirCodes) {
  auto channel = Channel(Options());
  const std::vector<std::pair<std::string, std::string>> to_codes = {
      {"+15005550001", "21211"}, {"+15005550002", "21612"}, {"+15005550003", "21408"},
      {"+15005550004", "21610"}, {"+15005550009", "21614"}, {"12345", "21211"}};
  for (const auto& [to, code] : to_codes) {
    const SendOutcome out = channel->Send(Sms(to, "Hi"));
    ASSERT_TRUE(out.ok()) << to << ": " << out.status().ToString();
    EXPECT_EQ(out->status, MessageStatus::kFailed) << to;
    EXPECT_EQ(out->error_code, code) << to;
  }
  const std::vector<std::pair<std::string, std::string>> from_codes = {
      {"+15005550001", "21212"},
      {"+15005550007", "21606"},
      {"+15005550008", "21611"},
      {"+15005550077", "21606"}};  // a number the account does not own
  for (const auto& [from, code] : from_codes) {
    const SendOutcome out = channel->Send(Sms(kAna, "Hi", from));
    ASSERT_TRUE(out.ok()) << from << ": " << out.status().ToString();
    EXPECT_EQ(out->error_code, code) << from;
  }
  standin_->Block(kAna);  // as if Ana had replied STOP
  EXPECT_EQ(channel->Send(Sms(kAna, "Hi"))->error_code, "21610");
  // A body over 1,600 characters is refused: the conversation core splits long replies.
  EXPECT_EQ(channel->Send(Sms("+14155550102", std::string(1601, 'x')))->error_code, "21617");
  EXPECT_TRUE(standin_->created().empty());
}

TEST_F(TwilioChannelTest, WhatsAppAndMessagingServiceSendersReachTwilioAsConfigured) {
  auto o = Options();
  o.senders.sms_from.clear();
  o.senders.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  auto channel = Channel(o);
  const SendOutcome sms = channel->Send(Sms(kAna, "Hi"));
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_EQ(sms->status, MessageStatus::kAccepted);
  EXPECT_EQ(sms->provider_status, "accepted");

  OutboundMessage wa = Sms("whatsapp:+14155550101", "");
  wa.content_sid = "HX0123456789abcdef0123456789abcdef";
  wa.content_variables = R"({"1":"Ana"})";
  const SendOutcome whatsapp = channel->Send(wa);
  ASSERT_TRUE(whatsapp.ok()) << whatsapp.status().ToString();
  EXPECT_EQ(whatsapp->status, MessageStatus::kQueued);

  const auto created = standin_->created();
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].form.Get("MessagingServiceSid"), o.senders.messaging_service_sid);
  EXPECT_FALSE(created[0].form.Has("From"));
  EXPECT_EQ(created[1].form.Get("From"), "whatsapp:+14155238886");
  EXPECT_EQ(created[1].form.Get("ContentSid"), wa.content_sid);
  EXPECT_FALSE(created[1].form.Has("Body"));
}

TEST_F(TwilioChannelTest, ServerErrorsAndTooManyRequestsAreRetryableWithRetryAfter) {
  auto channel = Channel(Options());
  standin_->InjectFault(StandinFault::kServerError);
  const SendOutcome error = channel->Send(Sms(kAna, "Hi"));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(error.status().message(), HasSubstr("500"));
  EXPECT_FALSE(error.retry_after.has_value());

  standin_->SetRetryAfter("7");
  standin_->InjectFault(StandinFault::kTooManyRequests);
  const SendOutcome busy = channel->Send(Sms(kAna, "Hi"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(busy.retry_after.has_value());
  EXPECT_EQ(*busy.retry_after, std::chrono::seconds(7));

  // Then Twilio takes it.
  EXPECT_EQ(channel->Send(Sms(kAna, "Hi"))->status, MessageStatus::kQueued);
  EXPECT_EQ(standin_->created().size(), 1u);
}

TEST_F(TwilioChannelTest, AnAnswerSlowerThanTheTimeoutIsRetryableAndReturnsInTime) {
  auto o = Options();
  o.http.timeout = std::chrono::milliseconds(300);
  auto channel = Channel(o);
  standin_->SetSlowDelay(std::chrono::milliseconds(1500));
  standin_->InjectFault(StandinFault::kSlow);
  const auto start = std::chrono::steady_clock::now();
  const SendOutcome out = channel->Send(Sms(kAna, "Hi"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(out.status().message(), HasSubstr("timed out"));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("could not connect")));  // Twilio was reached
  EXPECT_LT(elapsed, std::chrono::milliseconds(1200));
  // The next message goes out on a new connection.
  EXPECT_EQ(channel->Send(Sms(kAna, "Again"))->status, MessageStatus::kQueued);
}

// A listener that never accepts, its backlog filled: further connection attempts get no
// answer at all (the kernel drops their SYNs), as with a host that is down or filtered.
class UnansweredPort {
 public:
  UnansweredPort() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 0) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < 3; ++i) {  // fills the accept queue (backlog 0 admits one or two)
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      fcntl(fd, F_SETFL, O_NONBLOCK);
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~UnansweredPort() {
    for (const int fd : fillers_) {
      close(fd);
    }
    close(listener_);
  }
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

TEST_F(TwilioChannelTest, AConnectionThatIsNotAnsweredTimesOutAfterTheConnectTimeout) {
  UnansweredPort unanswered;
  ASSERT_NE(unanswered.port(), 0);
  auto o = Options();
  o.api_base = "http://127.0.0.1:" + std::to_string(unanswered.port());
  o.http.connect_timeout = std::chrono::milliseconds(300);
  o.http.timeout = std::chrono::seconds(5);
  auto channel = Channel(o);
  const auto start = std::chrono::steady_clock::now();
  const SendOutcome out = channel->Send(Sms(kAna, "Hi"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(out.status().message(), HasSubstr("could not connect"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
}

TEST_F(TwilioChannelTest, ADroppedConnectionOrNoServerIsRetryable) {
  auto channel = Channel(Options());
  standin_->InjectFault(StandinFault::kDrop);
  const SendOutcome dropped = channel->Send(Sms(kAna, "Hi"));
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(channel->Send(Sms(kAna, "Hi"))->status, MessageStatus::kQueued);
  EXPECT_EQ(standin_->connections(), 2);

  standin_->Stop();  // nothing listens on the port any more
  const SendOutcome refused = channel->Send(Sms(kAna, "Hi"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("could not connect"));
}

TEST_F(TwilioChannelTest, SeveralSendsReuseOneKeptAliveConnection) {
  auto channel = Channel(Options());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(channel->Send(Sms(kAna, "Message " + std::to_string(i)))->status,
              MessageStatus::kQueued);
  }
  EXPECT_EQ(standin_->connections(), 1);
  EXPECT_EQ(channel->connections_opened(), 1u);
  std::vector<int> connections;
  for (const auto& r : standin_->requests()) {
    connections.push_back(r.connection);
  }
  EXPECT_THAT(connections, ElementsAre(1, 1, 1, 1, 1));
  // A failure for good (an HTTP answer) keeps the connection too.
  EXPECT_EQ(channel->Send(Sms("+15005550001", "Hi"))->error_code, "21211");
  EXPECT_EQ(standin_->connections(), 1);
}

TEST_F(TwilioChannelTest, ConcurrentSendersEachKeepAConnection) {
  auto channel = Channel(Options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(channel->Send(Sms(kAna, std::to_string(t) + "/" + std::to_string(i)))->status,
                  MessageStatus::kQueued);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(standin_->created().size(), 30u);
  EXPECT_LE(standin_->connections(), 3);
}

TEST_F(TwilioChannelTest, OptionsThatCannotWorkAreRefusedNamingTheKey) {
  auto o = Options();
  o.account_sid = "AC123";
  EXPECT_THAT(TwilioChannel::Create(o).status().message(), HasSubstr("TWILIO_ACCOUNT_SID"));
  o = Options();
  o.auth_token.clear();
  EXPECT_THAT(TwilioChannel::Create(o).status().message(), HasSubstr("TWILIO_AUTH_TOKEN"));
  o = Options();
  o.api_key = "SK0123456789abcdef0123456789abcdef";
  EXPECT_THAT(TwilioChannel::Create(o).status().message(), HasSubstr("TWILIO_API_SECRET"));
  o = Options();
  o.api_base = "ftp://example.com";
  EXPECT_THAT(TwilioChannel::Create(o).status().message(), HasSubstr("TWILIO_API_BASE"));
  o = Options();
  o.senders.messaging_service_sid = "MG1";
  EXPECT_THAT(TwilioChannel::Create(o).status().message(),
              HasSubstr("TWILIO_MESSAGING_SERVICE_SID"));
}

}  // namespace
}  // namespace parley::channel
