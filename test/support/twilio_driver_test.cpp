// The Twilio driver (test/support) against a minimal in-test HTTP server that checks
// requests with this library's own wire pieces: what the driver signs, DecodeForm +
// VerifySignature accept; what the server answers, the driver parses.
#include "test/support/twilio_driver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "twilio/signature.hpp"

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using twilio::TwimlMessage;

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kPublicUrl = "https://parley.example.com";

struct Seen {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, beast::string_view(name.data(), name.size()))) {
        return v;
      }
    }
    return {};
  }
};

// One-request-per-connection HTTP server on 127.0.0.1:<ephemeral>, serving `handler` on a
// background thread until destroyed.
class TinyServer {
 public:
  using Handler = std::function<http::response<http::string_body>(const Seen&)>;

  explicit TinyServer(Handler handler)
      : handler_(std::move(handler)), acceptor_(ioc_, tcp::endpoint(tcp::v4(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    stopping_ = true;
    // Wake the blocking accept with a connection of our own.
    try {
      asio::io_context ioc;
      tcp::socket s(ioc);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    } catch (...) {
    }
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) {
        continue;
      }
      Seen s;
      s.method = std::string(req.method_string());
      s.target = std::string(req.target());
      s.body = req.body();
      for (const auto& f : req) {
        s.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(s);
      }
      auto res = handler_(s);
      res.version(11);
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

// What parley's inbound endpoint does first: verify, then answer TwiML.
http::response<http::string_body> VerifyingHandler(const Seen& s) {
  http::response<http::string_body> res;
  const std::string url = std::string(kPublicUrl) + s.target;
  bool ok = false;
  if (s.Header("Content-Type") == "application/json") {
    ok = twilio::VerifyJsonSignature(kToken, url, s.body, s.Header("X-Twilio-Signature"));
  } else {
    Result<twilio::Form> form = twilio::DecodeForm(s.method == "GET" ? "" : s.body);
    ok = form.ok() && twilio::VerifySignature(kToken, url, *form, s.Header("X-Twilio-Signature"));
  }
  if (!ok) {
    res.result(http::status::forbidden);
    res.set(http::field::content_type, "text/plain");
    res.body() = "bad signature";
    return res;
  }
  res.result(http::status::ok);
  res.set(http::field::content_type, "text/xml");
  res.body() = twilio::RenderTwiml({{"Got it & thanks", {}}});
  return res;
}

TwilioDriverOptions Options(uint16_t port) {
  TwilioDriverOptions o;
  o.auth_token = std::string(kToken);
  o.public_url = std::string(kPublicUrl);
  o.connect_port = port;
  return o;
}

TEST(TwilioDriverTest, SmsParamsLikeTwilio) {
  TwilioDriver driver(Options(1));
  const std::string sid = driver.NewMessageSid();
  const twilio::Form p = driver.SmsParams("+17038250630", "+19894655460", "It's working!!!", sid);
  std::vector<std::string> names;
  for (const auto& [name, value] : p) {
    names.emplace_back(name);
  }
  EXPECT_THAT(names, ElementsAre("ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity",
                                 "FromZip", "SmsSid", "FromState", "SmsStatus", "FromCity", "Body",
                                 "FromCountry", "To", "ToZip", "NumSegments", "ReferralNumMedia",
                                 "MessageSid", "AccountSid", "From", "ApiVersion"));
  EXPECT_EQ(p.Get("MessageSid"), sid);
  EXPECT_EQ(p.Get("SmsSid"), sid);
  EXPECT_EQ(p.Get("SmsStatus"), "received");
  EXPECT_EQ(p.Get("ToCountry"), "US");
  EXPECT_EQ(p.Get("ApiVersion"), "2010-04-01");
  EXPECT_THAT(twilio::EncodeForm(p), HasSubstr("Body=It%27s+working%21%21%21&"));
  EXPECT_THAT(twilio::EncodeForm(p), HasSubstr("To=%2B19894655460&"));
}

TEST(TwilioDriverTest, WhatsAppAndMediaParams) {
  TwilioDriver driver(Options(1));
  const std::string sid = driver.NewMessageSid("MM");
  twilio::Form p = driver.WhatsAppParams("+15017122661", "whatsapp:+14155238886", "", sid, "Ana");
  EXPECT_EQ(p.Get("From"), "whatsapp:+15017122661");
  EXPECT_EQ(p.Get("To"), "whatsapp:+14155238886");
  EXPECT_EQ(p.Get("WaId"), "15017122661");
  EXPECT_EQ(p.Get("ProfileName"), "Ana");
  EXPECT_EQ(p.Get("MessageType"), "text");
  driver.AddMedia(p, {{"image/jpeg", ""}, {"application/pdf", "https://x/y.pdf"}});
  EXPECT_EQ(p.Get("NumMedia"), "2");
  EXPECT_EQ(p.Get("MessageType"), "image");
  EXPECT_EQ(p.Get("MediaContentType0"), "image/jpeg");
  EXPECT_THAT(std::string(p.Get("MediaUrl0")),
              ::testing::MatchesRegex("https://api.twilio.com/2010-04-01/Accounts/AC[0-9a-f]{32}/"
                                      "Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}"));
  EXPECT_EQ(p.Get("MediaUrl1"), "https://x/y.pdf");
  EXPECT_EQ(p.All("NumMedia").size(), 1u);
}

TEST(TwilioDriverTest, Movable) {
  std::vector<TwilioDriver> drivers;
  drivers.push_back(TwilioDriver(Options(1)));
  drivers.emplace_back(Options(2));
  EXPECT_EQ(drivers[1].options().connect_port, 2);
  EXPECT_THAT(drivers[0].NewMessageSid(), ::testing::MatchesRegex("SM[0-9a-f]{32}"));
}

TEST(TwilioDriverTest, IdsAreWellFormedAndUnique) {
  TwilioDriver driver(Options(1));
  std::set<std::string> sids;
  for (int i = 0; i < 1000; ++i) {
    const std::string sid = driver.NewMessageSid();
    ASSERT_THAT(sid, ::testing::MatchesRegex("SM[0-9a-f]{32}"));
    sids.insert(sid);
  }
  EXPECT_EQ(sids.size(), 1000u);
  EXPECT_THAT(driver.NewUuid(),
              ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                      "[0-9a-f]{12}"));
}

TEST(TwilioDriverTest, SignedPostIsAcceptedAndTwimlParsed) {
  TinyServer server(VerifyingHandler);
  TwilioDriver driver(Options(server.port()));
  const twilio::Form p =
      driver.SmsParams("+15551234567", "+15557654321", "Hi there! +1 & 'quotes'", "SMx");
  Result<DriverResponse> r = driver.Post("/twilio/messages?x=1", p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->is_twiml);
  EXPECT_EQ(r->twiml_error, "");
  EXPECT_THAT(r->messages, ElementsAre(TwimlMessage{"Got it & thanks", {}}));

  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/twilio/messages?x=1");
  EXPECT_EQ(seen[0].Header("Host"), "parley.example.com");
  EXPECT_EQ(seen[0].Header("User-Agent"), "TwilioProxy/1.1");
  EXPECT_EQ(seen[0].Header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].Header("X-Home-Region"), "us1");
  EXPECT_EQ(seen[0].Header("I-Twilio-Idempotency-Token").size(), 36u);
  EXPECT_EQ(seen[0].Header("X-Twilio-Signature"),
            driver.Sign("https://parley.example.com/twilio/messages?x=1", p));
  EXPECT_EQ(seen[0].body, twilio::EncodeForm(p));
}

TEST(TwilioDriverTest, SignatureVariants) {
  TinyServer server(VerifyingHandler);
  TwilioDriver driver(Options(server.port()));
  const twilio::Form p = driver.SmsParams("+15551234567", "+15557654321", "x", "SMx");

  PostOptions wrong;
  wrong.signature = SignatureMode::kWrong;
  EXPECT_EQ(driver.Post("/t", p, wrong)->status, 403);

  PostOptions none;
  none.signature = SignatureMode::kNone;
  EXPECT_EQ(driver.Post("/t", p, none)->status, 403);

  PostOptions with_port;  // Twilio signed the :443 form; still valid
  with_port.signed_url = "https://parley.example.com:443/t";
  EXPECT_EQ(driver.Post("/t", p, with_port)->status, 200);

  PostOptions fragment;  // connection overrides are not signed
  fragment.signed_url = "https://parley.example.com/t#rc=2&rp=all";
  EXPECT_EQ(driver.Post("/t", p, fragment)->status, 200);

  PostOptions tampered;  // body differs from what was signed
  tampered.raw_body = twilio::EncodeForm(p) + "&Extra=1";
  EXPECT_EQ(driver.Post("/t", p, tampered)->status, 403);

  PostOptions get;
  get.use_get = true;
  EXPECT_EQ(driver.Post("/t", p, get)->status, 200);
  EXPECT_THAT(server.seen().back().target, HasSubstr("/t?ToCountry=US&"));

  Result<DriverResponse> json = driver.PostJson("/j", R"({"a": 1})");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->status, 200);
  EXPECT_THAT(server.seen().back().target, HasSubstr("/j?bodySHA256="));

  PostOptions retry;
  retry.idempotency_token = "same-token";
  (void)driver.Post("/t", p, retry);
  EXPECT_EQ(server.seen().back().Header("I-Twilio-Idempotency-Token"), "same-token");
}

TEST(TwilioDriverTest, NonTwimlAndBadTwiml) {
  TinyServer server([](const Seen& s) {
    http::response<http::string_body> res{http::status::ok, 11};
    if (s.target == "/plain") {
      res.set(http::field::content_type, "text/plain");
      res.body() = "hello";
    } else {
      res.set(http::field::content_type, "application/xml; charset=utf-8");
      res.body() = "<Reply/>";
    }
    return res;
  });
  TwilioDriver driver(Options(server.port()));
  Result<DriverResponse> plain = driver.Post("/plain", twilio::Form());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->is_twiml);
  EXPECT_EQ(plain->body, "hello");
  Result<DriverResponse> bad = driver.Post("/bad", twilio::Form());
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->is_twiml);
  EXPECT_THAT(bad->twiml_error, HasSubstr("not <Response>"));
  EXPECT_EQ(bad->Header("content-type"), "application/xml; charset=utf-8");
}

TEST(TwilioDriverTest, ConnectionFailureAndTimeout) {
  uint16_t closed_port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(tcp::v4(), 0));
    closed_port = a.local_endpoint().port();
  }
  TwilioDriver refused(Options(closed_port));
  Result<DriverResponse> r = refused.Post("/t", twilio::Form());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);

  // A server that accepts and never answers: the total timeout fires.
  asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(tcp::v4(), 0));
  TwilioDriverOptions o = Options(silent.local_endpoint().port());
  o.total_timeout = std::chrono::milliseconds(300);
  TwilioDriver driver(o);
  const auto start = std::chrono::steady_clock::now();
  r = driver.Post("/t", twilio::Form());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("timeout"));
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace parley::testing
