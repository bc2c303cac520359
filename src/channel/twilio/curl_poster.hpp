// Form POSTs over libcurl with connections kept alive, for the Twilio channel.
//
// Each request borrows an easy handle from a pool and gives it back: a handle keeps its
// connections open between requests (HTTP/1.1 keep-alive, or one HTTP/2 connection where
// the server offers it over TLS), so a sender thread reuses one connection for message
// after message, and concurrent senders each get their own. TLS peers and host names are
// always verified; only http and https URLs are followed, redirects never.
//
// Thread-safe: Post may be called from several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channel/twilio/message_reply.hpp"
#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::channel {

struct CurlPosterOptions {
  Duration connect_timeout = std::chrono::seconds(5);  // TCP and TLS handshakes
  Duration timeout = std::chrono::seconds(10);         // the whole request, connect included
  std::string user_agent = "parley";
  size_t max_reply_bytes = 1 << 20;  // a longer answer fails the request (kUnavailable)
};

class CurlPoster {
 public:
  // Fails (kInternal) only if libcurl cannot be initialized.
  static Result<std::unique_ptr<CurlPoster>> Create(CurlPosterOptions options);
  ~CurlPoster();
  CurlPoster(const CurlPoster&) = delete;
  CurlPoster& operator=(const CurlPoster&) = delete;

  // POSTs `form` (application/x-www-form-urlencoded) to `url` with HTTP Basic auth and
  // `Accept: application/json`. Any HTTP answer is a reply; a failure before one arrived
  // (DNS, connect, TLS, timeout, dropped connection, an oversized answer) is kUnavailable
  // naming the cause. The request may have reached the server even then.
  Result<HttpReply> Post(const std::string& url, const std::string& user,
                         const std::string& password, const std::string& form);

  // New connections opened so far (a reused one is not counted): with keep-alive, one per
  // concurrent sender unless the server closes them.
  uint64_t connections_opened() const { return connections_opened_.load(); }

 private:
  struct Handle;
  explicit CurlPoster(CurlPosterOptions options);
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  const CurlPosterOptions options_;
  void* headers_ = nullptr;  // curl_slist*, shared read-only by every handle
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
  std::atomic<uint64_t> connections_opened_{0};
};

}  // namespace parley::channel
