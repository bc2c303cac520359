// What the server's connections share: options, router, the io_context and the set of
// live connections (for graceful stop). Internal to src/http.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "http/detail/host.hpp"
#include "http/server.hpp"

namespace parley::http::detail {

class Session;

class ServerState {
 public:
  ServerState(ServerOptions options, Router router);

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  const HostAllowList& hosts() const { return hosts_; }
  boost::asio::io_context& io() { return io_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Registers a new connection; nullopt (the caller drops it) once stopping.
  using SessionList = std::list<std::weak_ptr<Session>>;
  std::optional<SessionList::iterator> Register(const std::shared_ptr<Session>& session);
  // Called by a connection's destructor.
  void Unregister(SessionList::iterator it);

  // Marks the server stopping (no more registrations) and returns the live connections.
  std::vector<std::shared_ptr<Session>> BeginStop();
  // The live connections now.
  std::vector<std::shared_ptr<Session>> Live();
  // Blocks until no connection is left or `deadline`; true if none is left.
  bool WaitDrained(std::chrono::steady_clock::time_point deadline);

  void LogError(std::string_view line) const;
  // To ServerOptions::warning_log, else LogError. The caller rate-limits.
  void LogWarning(std::string_view line) const;

 private:
  ServerOptions options_;
  Router router_;
  HostAllowList hosts_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;
  std::condition_variable drained_;
  SessionList sessions_;  // guarded by mu_

  // Last: destroyed first, so pending handlers (which own sessions) go before the rest.
  boost::asio::io_context io_;
};

}  // namespace parley::http::detail
