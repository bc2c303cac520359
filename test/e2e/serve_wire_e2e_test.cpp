// End to end at the wire: `parley serve` (SQLite) driven over a raw socket, for what the
// Twilio driver's well-behaved client cannot send: an absolute-form request line; and the
// server's log as a log shipper reads it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/twilio_driver.hpp"
#include "twilio/form.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ServeProcess;

constexpr char kToken[] = "e2e-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";

// Sends `request` on a new connection to 127.0.0.1:port and reads until the server closes.
std::string Exchange(uint16_t port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string answer;
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) {
        answer.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  if (fd >= 0) {
    close(fd);
  }
  return answer;
}

class ServeWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-wire-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "flows");
    fs::copy_file(fs::path(TEST_SOURCE_DIR) / "examples/checkin/checkin.json",
                  dir_ / "flows/checkin.json");
    auto store = store::OpenStore("sqlite:" + (dir_ / "parley.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::map<std::string, std::string> Env() const {
    return {{"DATABASE_URL", "sqlite:" + (dir_ / "parley.db").string()},
            {"PARLEY_FLOWS", "flows"},
            {"TWILIO_AUTH_TOKEN", kToken},
            {"PUBLIC_URL", kPublicUrl},
            {"PARLEY_REPLY_MODE", "twiml"}};
  }

  fs::path dir_;
};

// Issue 8 item 3: a webhook whose request line is in absolute form is routed by its path,
// and its signature (over PUBLIC_URL + the origin-form target) validates. Its authority is
// checked like a Host header. Issue 8 item 15: with PARLEY_LOG_FORMAT=json every log line
// is one JSON object.
TEST_F(ServeWireTest, AbsoluteFormWebhookIsVerifiedAndJsonLogLinesAreObjects) {
  auto env = Env();
  env["PARLEY_LOG_FORMAT"] = "json";
  auto started = ServeProcess::Start(PARLEY_BINARY, dir_.string(), env, "wire");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ServeProcess& server = **started;

  testing::TwilioDriverOptions options;
  options.auth_token = kToken;
  options.public_url = kPublicUrl;
  options.connect_port = server.port();
  testing::TwilioDriver driver(options);
  auto post = [&](const std::string& target, const std::string& host, const twilio::Form& params,
                  const std::string& signed_url) {
    const std::string body = twilio::EncodeForm(params);
    return Exchange(server.port(), "POST " + target + " HTTP/1.1\r\nHost: " + host +
                                       "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                       "X-Twilio-Signature: " +
                                       driver.Sign(signed_url, params) +
                                       "\r\nContent-Length: " + std::to_string(body.size()) +
                                       "\r\nConnection: close\r\n\r\n" + body);
  };
  const std::string url = std::string(kPublicUrl) + "/twilio/messages";
  const twilio::Form join =
      driver.SmsParams("+14155550101", "+15005550006", "JOIN", driver.NewMessageSid());
  const std::string answer = post(url, "parley.example.com", join, url);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer;
  EXPECT_THAT(answer, HasSubstr("daily blood sugar check-in"));

  // An authority outside ALLOWED_HOSTS, or disagreeing with Host: 400, nothing applied.
  const twilio::Form again =
      driver.SmsParams("+14155550102", "+15005550006", "JOIN", driver.NewMessageSid());
  EXPECT_TRUE(post("https://evil.example.net/twilio/messages", "parley.example.com", again, url)
                  .starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(post(url, "localhost", again, url).starts_with("HTTP/1.1 400 "));

  ASSERT_EQ(server.Stop(SIGTERM).value_or(-1), 0) << server.Log();
  std::istringstream log(server.Log());
  int objects = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.starts_with("parley serve: SIGTERM")) {
      continue;  // the shutdown notice goes to stderr directly
    }
    auto value = json::Parse(line);
    ASSERT_TRUE(value.ok() && value->is_object()) << line;
    EXPECT_NE(value->Find("time"), nullptr) << line;
    EXPECT_NE(value->Find("level"), nullptr) << line;
    EXPECT_NE(value->Find("msg"), nullptr) << line;
    ++objects;
  }
  EXPECT_GE(objects, 5);  // startup lines and the access log
}

}  // namespace
}  // namespace parley
