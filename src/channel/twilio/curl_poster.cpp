#include "channel/twilio/curl_poster.hpp"

#include <curl/curl.h>

#include <strings.h>

#include <cstring>
#include <mutex>

namespace parley::channel {

namespace {

bool InitCurlOnce() {
  // curl_global_init is not thread-safe on every build; once per process, before any handle.
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

// What one transfer collects; reset before each.
struct Transfer {
  std::string body;
  std::string retry_after;
  size_t max_bytes = 0;
  bool too_long = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body.size() + n > t->max_bytes) {
    t->too_long = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->retry_after.clear();  // a new response (after a 100 Continue, say) starts over
  }
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
      line.remove_suffix(1);
    }
    t->retry_after = std::string(line);
  }
  return n;
}

// libcurl words a connect timeout differently across versions ("Connection timed out",
// "Connection timeout", "Failed to connect"); the operator reading the outbox's last error needs
// to know whether Twilio was reached at all, so say so in our own words.
const char* Phase(CURL* c, CURLcode rc) {
  if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
    return "could not resolve the host: ";
  }
  curl_off_t connected_us = 0;
  const bool connected =
      curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected_us) == CURLE_OK && connected_us > 0;
  if (rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && !connected)) {
    return "could not connect: ";
  }
  return "";
}

}  // namespace

struct CurlPoster::Handle {
  CURL* curl = nullptr;
  Transfer transfer;
  char error[CURL_ERROR_SIZE] = {};
  ~Handle() {
    if (curl != nullptr) {
      curl_easy_cleanup(curl);
    }
  }
};

Result<std::unique_ptr<CurlPoster>> CurlPoster::Create(CurlPosterOptions options) {
  if (!InitCurlOnce()) {
    return Status::Internal("libcurl could not be initialized");
  }
  std::unique_ptr<CurlPoster> poster(new CurlPoster(std::move(options)));
  curl_slist* headers = nullptr;
  for (const char* h : {"Accept: application/json", "Accept-Charset: utf-8",
                        "Content-Type: application/x-www-form-urlencoded",
                        // No "Expect: 100-continue" round trip before larger bodies.
                        "Expect:"}) {
    curl_slist* next = curl_slist_append(headers, h);
    if (next == nullptr) {
      curl_slist_free_all(headers);
      return Status::Internal("libcurl: out of memory");
    }
    headers = next;
  }
  poster->headers_ = headers;
  return poster;
}

CurlPoster::CurlPoster(CurlPosterOptions options) : options_(std::move(options)) {}

CurlPoster::~CurlPoster() {
  idle_.clear();
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

std::unique_ptr<CurlPoster::Handle> CurlPoster::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  if (h->curl == nullptr) {
    return nullptr;
  }
  CURL* c = h->curl;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h->transfer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
  return h;
}

void CurlPoster::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(handle));
}

Result<HttpReply> CurlPoster::Post(const std::string& url, const std::string& user,
                                   const std::string& password, const std::string& form) {
  auto h = Acquire();
  if (h == nullptr) {
    return Status::Unavailable("libcurl: cannot create a handle");
  }
  CURL* c = h->curl;
  h->transfer = Transfer{};
  h->transfer.max_bytes = options_.max_reply_bytes;
  h->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, user.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.c_str());
  const CURLcode rc = curl_easy_perform(c);

  long connects = 0;
  if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    connections_opened_.fetch_add(static_cast<uint64_t>(connects));
  }
  Result<HttpReply> result = Status::Unavailable("");
  if (rc != CURLE_OK) {
    std::string why = h->transfer.too_long ? "the answer exceeded " +
                                                 std::to_string(options_.max_reply_bytes) + " bytes"
                      : h->error[0] != '\0' ? std::string(h->error)
                                            : std::string(curl_easy_strerror(rc));
    result = Status::Unavailable("Twilio request failed: " + std::string(Phase(c, rc)) + why);
  } else {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    HttpReply reply;
    reply.status = static_cast<int>(status);
    reply.body = std::move(h->transfer.body);
    reply.retry_after = std::move(h->transfer.retry_after);
    result = std::move(reply);
  }
  // The credentials do not stay in an idle handle longer than needed.
  curl_easy_setopt(c, CURLOPT_PASSWORD, "");
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  Release(std::move(h));
  return result;
}

}  // namespace parley::channel
