#include "test/support/status_callback_sender.hpp"

namespace parley::testing {

namespace {

constexpr int kMaxTries = 4;

// "https://host/path" → {"https://host", "/path"}.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) {
    return {url, "/"};
  }
  return {url.substr(0, path), url.substr(path)};
}

}  // namespace

StatusCallbackSender::StatusCallbackSender(StatusCallbackOptions options)
    : options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

StatusCallbackSender::~StatusCallbackSender() { Stop(); }

void StatusCallbackSender::SetTarget(std::string host, uint16_t port) {
  {
    std::lock_guard lock(mu_);
    host_ = std::move(host);
    port_ = port;
  }
  cv_.notify_all();
}

void StatusCallbackSender::Schedule(const std::string& url, const std::string& sid,
                                    const std::string& from, const std::string& to,
                                    const std::vector<CallbackStep>& steps) {
  const auto now = std::chrono::steady_clock::now();
  const auto span = options_.delay * static_cast<int>(steps.size());
  {
    std::lock_guard lock(mu_);
    auto at_random = [&] {
      const auto ms = std::uniform_int_distribution<int64_t>(0, span.count())(random_);
      return now + options_.delay + std::chrono::milliseconds(ms);
    };
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto due =
          options_.reorder ? at_random() : now + options_.delay * static_cast<int>(i + 1);
      pending_.emplace(due, Pending{due, url, sid, from, to, steps[i], 0});
      if (options_.duplicate && (random_() & 1) != 0) {
        const auto again = at_random();
        pending_.emplace(again, Pending{again, url, sid, from, to, steps[i], 0});
      }
    }
  }
  cv_.notify_all();
}

bool StatusCallbackSender::WaitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pending_.empty() && in_flight_ == 0; });
}

std::vector<SentCallback> StatusCallbackSender::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

void StatusCallbackSender::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    pending_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void StatusCallbackSender::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (pending_.empty() || port_ == 0) {
      cv_.wait(lock);
      continue;
    }
    const auto due = pending_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    Pending p = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    ++in_flight_;
    lock.unlock();
    const SentCallback sent = Post(p);
    lock.lock();
    --in_flight_;
    sent_.push_back(sent);
    if ((sent.http_status == 0 || sent.http_status >= 500) && ++p.tries < kMaxTries && !stopping_) {
      p.due = std::chrono::steady_clock::now() + options_.delay;
      pending_.emplace(p.due, std::move(p));
    }
    cv_.notify_all();
  }
}

SentCallback StatusCallbackSender::Post(const Pending& p) {
  const auto [base, path] = SplitUrl(p.url);
  TwilioDriverOptions o;
  o.auth_token = options_.auth_token;
  o.account_sid = options_.account_sid;
  o.public_url = base;
  {
    std::lock_guard lock(mu_);
    o.connect_host = host_;
    o.connect_port = port_;
  }
  o.connect_timeout = std::chrono::seconds(2);
  o.total_timeout = std::chrono::seconds(10);
  TwilioDriver driver(o);
  const twilio::Form params =
      driver.StatusParams(p.sid, p.step.status, p.from, p.to, p.step.error_code);
  SentCallback out{p.sid, p.step.status, p.step.error_code, 0};
  // Signed over the StatusCallback URL as given (it may carry a query), as Twilio signs.
  PostOptions post;
  post.signed_url = p.url;
  if (auto r = driver.Post(path, params, post); r.ok()) {
    out.http_status = r->status;
  }
  return out;
}

}  // namespace parley::testing
