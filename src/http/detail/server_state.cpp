#include "http/detail/server_state.hpp"

#include <algorithm>
#include <thread>
#include <utility>

namespace parley::http::detail {
namespace {

int WorkerCount(int requested) {
  if (requested > 0) {
    return requested;
  }
  // Handlers that wait for the database answer asynchronously (the webhook), so a worker
  // only parses, verifies and writes: one per core is enough.
  constexpr int kMinWorkers = 2;
  return std::max(kMinWorkers, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

ServerState::ServerState(ServerOptions options, Router router)
    : options_(std::move(options)),
      router_(std::move(router)),
      hosts_(options_.allowed_hosts),
      io_(WorkerCount(options_.threads)) {
  options_.threads = WorkerCount(options_.threads);
}

std::optional<ServerState::SessionList::iterator> ServerState::Register(
    const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mu_);
  if (stopping_.load(std::memory_order_relaxed)) {
    return std::nullopt;
  }
  sessions_.push_front(session);
  return sessions_.begin();
}

void ServerState::Unregister(SessionList::iterator it) {
  std::lock_guard lock(mu_);
  sessions_.erase(it);
  if (sessions_.empty()) {
    drained_.notify_all();
  }
}

std::vector<std::shared_ptr<Session>> ServerState::BeginStop() {
  {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
  }
  return Live();
}

std::vector<std::shared_ptr<Session>> ServerState::Live() {
  std::vector<std::shared_ptr<Session>> live;
  std::lock_guard lock(mu_);
  live.reserve(sessions_.size());
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) {
      live.push_back(std::move(session));
    }
  }
  return live;
}

bool ServerState::WaitDrained(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return drained_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

void ServerState::LogError(std::string_view line) const {
  if (options_.error_log) {
    options_.error_log(line);
  } else if (options_.access_log) {
    options_.access_log(line);
  }
}

void ServerState::LogWarning(std::string_view line) const {
  if (options_.warning_log) {
    options_.warning_log(line);
  } else {
    LogError(line);
  }
}

}  // namespace parley::http::detail
