#include "store/postgres/pg_notifications.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace parley::store {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{5'000};
// A connection that stayed up this long resets the back-off.
constexpr milliseconds kStableFor{10'000};
// Stop() sends what is queued for at most this long.
constexpr milliseconds kStopFlush{1'000};
// Notices queued while the connection is down or busy; more are dropped (listeners have
// their safety poll).
constexpr size_t kMaxQueued = 4'096;
constexpr size_t kMaxPayload = 7'999;

bool ValidPayload(std::string_view payload) {
  return payload.size() <= kMaxPayload &&
         std::all_of(payload.begin(), payload.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

class PgNotifications final : public Notifications {
 public:
  explicit PgNotifications(std::string url) : url_(std::move(url)) {
    event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }
  ~PgNotifications() override {
    Stop();
    if (event_fd_ >= 0) {
      close(event_fd_);
    }
  }
  PgNotifications(const PgNotifications&) = delete;
  PgNotifications& operator=(const PgNotifications&) = delete;

  Status Listen(std::string_view channel, Handler handler) override {
    if (!ValidChannelName(channel)) {
      return Status::InvalidArgument("notification channel '" + std::string(channel) +
                                     "': expected [a-z0-9_], 1 to 63 characters");
    }
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopping_) {
      return Status::FailedPrecondition("notifications: Listen after Start");
    }
    handlers_[std::string(channel)].push_back(std::move(handler));
    return Status::Ok();
  }

  void Start() override {
    std::lock_guard lock(mu_);
    StartLocked();
  }

  void Notify(std::string_view channel, std::string_view payload) override {
    if (!ValidChannelName(channel) || !ValidPayload(payload)) {
      ++dropped_;
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= kMaxQueued) {
        ++dropped_;
        return;
      }
      const auto same = [&](const auto& n) { return n.first == channel && n.second == payload; };
      if (std::none_of(queue_.begin(), queue_.end(), same)) {
        queue_.emplace_back(std::string(channel), std::string(payload));
      }
      StartLocked();
    }
    Signal();
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        stopping_ = true;
        stop_deadline_ = Clock::now() + kStopFlush;
      }
    }
    Signal();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  Counts counts() const override {
    return {sent_.load(), received_.load(), dropped_.load(), connects_.load(),
            failed_connects_.load()};
  }

 private:
  void StartLocked() {
    if (!thread_.joinable() && !stopping_ && event_fd_ >= 0) {
      thread_ = std::thread([this] { Run(); });
    }
  }

  void Signal() const {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = write(event_fd_, &one, sizeof one);
  }

  void Drain() const {
    uint64_t v = 0;
    [[maybe_unused]] auto n = read(event_fd_, &v, sizeof v);
  }

  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  // Sleeps `d` unless stopped meanwhile (a Notify only queues: it does not end the wait).
  void SleepUnlessStopped(milliseconds d) {
    const auto until = Clock::now() + d;
    while (!Stopping()) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (left <= milliseconds::zero()) {
        return;
      }
      pollfd p{event_fd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left.count()));
      Drain();
    }
  }

  PGconn* Connect() {
    // Keywords before "dbname" are defaults: whatever the URL sets wins. Keepalives notice a
    // vanished server host while the connection idles (it only ever waits to hear).
    const char* keys[] = {
        "connect_timeout",     "application_name", "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "dbname",     nullptr};
    const char* values[] = {"5", "parley-notify", "1", "10", "5", "3", url_.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    if (conn != nullptr && PQstatus(conn) != CONNECTION_OK) {
      PQfinish(conn);
      return nullptr;
    }
    if (conn != nullptr) {
      PQsetNoticeProcessor(
          conn, [](void*, const char*) {}, nullptr);
    }
    return conn;
  }

  bool ListenAll(PGconn* conn) {
    std::string sql;
    for (const auto& [channel, unused] : handlers_) {
      sql += "LISTEN " + channel + ";";
    }
    if (sql.empty()) {
      return true;
    }
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  }

  void Dispatch(const Notice& notice) {
    auto it = handlers_.find(std::string(notice.channel));
    if (it == handlers_.end()) {
      return;
    }
    for (const Handler& h : it->second) {
      h(notice);
    }
  }

  // Sends what is queued as one statement; false when it could not be sent.
  bool SendQueued(PGconn* conn, size_t& in_flight) {
    std::deque<std::pair<std::string, std::string>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(queue_);
    }
    if (batch.empty()) {
      return true;
    }
    std::string sql;
    for (const auto& [channel, payload] : batch) {
      char* literal = PQescapeLiteral(conn, payload.data(), payload.size());
      if (literal == nullptr) {
        ++dropped_;
        continue;
      }
      sql += "NOTIFY " + channel + ", " + literal + ";";
      PQfreemem(literal);
    }
    if (sql.empty()) {
      return true;
    }
    if (PQsendQuery(conn, sql.c_str()) != 1) {
      dropped_ += static_cast<long>(batch.size());
      return false;
    }
    in_flight = batch.size();
    return true;
  }

  void Run() {
    PGconn* conn = nullptr;
    milliseconds backoff = kFirstBackoff;
    Clock::time_point connected_at{};
    size_t in_flight = 0;  // notices of the statement awaiting its results; 0: none
    bool awaiting = false;
    const auto lose = [&] {
      PQfinish(conn);
      conn = nullptr;
      dropped_ += static_cast<long>(in_flight);
      in_flight = 0;
      awaiting = false;
      if (Clock::now() - connected_at >= kStableFor) {
        backoff = kFirstBackoff;
      }
    };
    while (true) {
      bool stopping = false;
      Clock::time_point deadline{};
      bool queued = false;
      {
        std::lock_guard lock(mu_);
        stopping = stopping_;
        deadline = stop_deadline_;
        queued = !queue_.empty();
      }
      // Stopping: what is queued still goes out (a one-shot command notifies, then stops at
      // once), connecting first if need be, until the deadline.
      if (stopping && ((!queued && !awaiting) || Clock::now() >= deadline)) {
        break;
      }
      if (conn == nullptr) {
        conn = Connect();
        if (conn == nullptr || !ListenAll(conn)) {
          if (conn != nullptr) {
            lose();
          }
          ++failed_connects_;
          SleepUnlessStopped(backoff);
          backoff = std::min(backoff * 2, kMaxBackoff);
          continue;
        }
        ++connects_;
        connected_at = Clock::now();
        for (const auto& [channel, unused] : handlers_) {
          Dispatch({channel, {}, true});
        }
      }
      if (!awaiting && queued) {
        if (!SendQueued(conn, in_flight)) {
          lose();
          continue;
        }
        awaiting = in_flight > 0;
      }
      pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {event_fd_, POLLIN, 0}};
      if (fds[0].fd < 0) {
        lose();
        continue;
      }
      int timeout = -1;
      if (stopping) {
        timeout = static_cast<int>(std::max<int64_t>(
            0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
      }
      poll(fds, 2, timeout);
      if (fds[1].revents != 0) {
        Drain();
      }
      if (fds[0].revents != 0) {
        if (PQconsumeInput(conn) != 1) {
          lose();
          continue;
        }
      }
      while (awaiting && PQisBusy(conn) == 0) {
        PGresult* r = PQgetResult(conn);
        if (r == nullptr) {
          sent_ += static_cast<long>(in_flight);
          in_flight = 0;
          awaiting = false;
          break;
        }
        PQclear(r);
      }
      const int self = PQbackendPID(conn);
      while (PGnotify* n = PQnotifies(conn)) {
        if (n->be_pid != self) {  // our own notices: this process knows already
          ++received_;
          Dispatch({n->relname, n->extra != nullptr ? n->extra : "", false});
        }
        PQfreemem(n);
      }
      if (PQstatus(conn) != CONNECTION_OK) {
        lose();
      }
    }
    {
      std::lock_guard lock(mu_);
      dropped_ += static_cast<long>(queue_.size() + in_flight);
      queue_.clear();
    }
    if (conn != nullptr) {
      PQfinish(conn);
    }
  }

  const std::string url_;
  int event_fd_ = -1;
  // Fixed once the thread runs (Listen refuses after Start): read by it without the lock.
  std::map<std::string, std::vector<Handler>, std::less<>> handlers_;
  std::mutex mu_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  Clock::time_point stop_deadline_{};
  std::thread thread_;
  std::atomic<long> sent_{0};
  std::atomic<long> received_{0};
  std::atomic<long> dropped_{0};
  std::atomic<long> connects_{0};
  std::atomic<long> failed_connects_{0};
};

}  // namespace

Result<std::unique_ptr<Notifications>> OpenPgNotifications(std::string_view url) {
  const std::string text(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    std::string reason = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) {
      reason.pop_back();
    }
    return Status::InvalidArgument("malformed PostgreSQL URL: " + reason);
  }
  PQconninfoFree(options);
  return std::unique_ptr<Notifications>(std::make_unique<PgNotifications>(text));
}

}  // namespace parley::store
