// Issue 9 (delivery): TLS peers are verified. A local HTTPS server with a self-signed
// certificate (made here with OpenSSL) must be refused, and the refusal is a failure worth
// retrying (kUnavailable), never a message sent to an unverified peer.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "channel/twilio/twilio_channel.hpp"

namespace parley::channel {
namespace {

// Accepts TLS connections on 127.0.0.1 with a fresh self-signed certificate for 127.0.0.1,
// and counts the handshakes that completed (a verifying client completes none).
class SelfSignedTlsServer {
 public:
  SelfSignedTlsServer() {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509_sign(cert_, key_, EVP_sha256());
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert_);
    SSL_CTX_use_PrivateKey(ctx_, key_);

    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 8) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) {
          return;  // shut down
        }
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
          ++handshakes_;
        }
        SSL_free(ssl);
        close(fd);
      }
    });
  }
  ~SelfSignedTlsServer() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) {
      thread_.join();
    }
    close(listener_);
    SSL_CTX_free(ctx_);
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

TEST(TlsVerificationTest, ASelfSignedCertificateIsRefusedAndTheSendIsRetryable) {
  SelfSignedTlsServer server;
  ASSERT_NE(server.port(), 0);
  TwilioChannelOptions o;
  o.api_base = "https://127.0.0.1:" + std::to_string(server.port());
  o.account_sid = "AC0123456789abcdef0123456789abcdef";
  o.auth_token = "token";
  o.senders.sms_from = "+15005550006";
  o.http.timeout = std::chrono::seconds(5);
  auto channel = TwilioChannel::Create(o);
  ASSERT_TRUE(channel.ok()) << channel.status().ToString();
  OutboundMessage m;
  m.to = "+14155550101";
  m.body = "Hi";
  const SendOutcome out = (*channel)->Send(m);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(out.status().message(), ::testing::HasSubstr("certificate"));
  EXPECT_EQ(server.handshakes(), 0);
}

}  // namespace
}  // namespace parley::channel
