// Server: the acceptor, the worker pool and graceful stop. Connections are in
// detail/session.cpp.
#include "http/server.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/rate_limiter.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/session.hpp"

namespace parley::http {
namespace {

namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

// After a failed accept (out of file descriptors, say) the next waits, twice as long after
// each further failure up to the maximum, so a process out of descriptors neither spins
// nor stops accepting for long once some are free again. A success resets the delay.
constexpr auto kAcceptRetryMinDelay = std::chrono::milliseconds(20);
constexpr auto kAcceptRetryMaxDelay = std::chrono::milliseconds(500);
// Accept failures are logged at most this often, with a count of the ones left out.
constexpr auto kAcceptLogInterval = std::chrono::seconds(1);

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Router router)
      : state(std::move(options), std::move(router)),
        acceptor(net::make_strand(state.io())),
        retry_timer(acceptor.get_executor()),
        accept_log(clock, kAcceptLogInterval),
        accept_recovery_log(clock, kAcceptLogInterval) {}

  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);

  // First: destroyed last (the acceptor and timer use its io_context).
  detail::ServerState state;
  tcp::acceptor acceptor;         // used on its strand only, once the workers run
  net::steady_timer retry_timer;  // on the acceptor's strand
  SystemClock clock;
  // Issue 8 item 16: failures and recoveries are each logged at most once a second.
  RateLimiter accept_log;
  RateLimiter accept_recovery_log;
  // On the acceptor's strand: the wait before the next accept (0 after a success), and
  // the failures since the last "accepting again" line.
  std::chrono::milliseconds accept_retry_delay{0};
  uint64_t accept_failures = 0;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> workers;
  uint16_t port = 0;

  std::mutex stop_mu;
  std::condition_variable stopped_cv;
  bool started = false;   // guarded by stop_mu
  bool stopping = false;  // guarded by stop_mu
  bool stopped = false;   // guarded by stop_mu
};

namespace {
// The server whose worker this thread is, so Stop can refuse to run on a worker.
thread_local const void* tl_worker_of = nullptr;
}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(state.io()), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Server::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) {
    return;
  }
  if (ec) {
    ++accept_failures;
    if (std::optional<uint64_t> held_back = accept_log.Allow()) {
      std::string line = "http accept failed: " + ec.message();
      if (*held_back > 0) {
        line += " (" + std::to_string(*held_back) + " more since the last report)";
      }
      state.LogWarning(line);
    }
    accept_retry_delay =
        std::clamp(accept_retry_delay * 2, std::chrono::milliseconds(kAcceptRetryMinDelay),
                   std::chrono::milliseconds(kAcceptRetryMaxDelay));
    retry_timer.expires_after(accept_retry_delay);
    retry_timer.async_wait([this](error_code wait_ec) {
      if (!wait_ec && acceptor.is_open()) {
        Accept();
      }
    });
    return;
  }
  if (accept_retry_delay.count() > 0) {  // the first success after failures
    accept_retry_delay = std::chrono::milliseconds(0);
    // Rate limited too: near the descriptor limit accepts can alternate with failures.
    if (accept_recovery_log.Allow()) {
      state.LogWarning("http accepting again after " + std::to_string(accept_failures) +
                       " failed accepts");
      accept_failures = 0;
    }
  }
  auto session = std::make_shared<detail::Session>(state, std::move(socket));
  if (auto registration = state.Register(session)) {
    session->set_registration(*registration);
    session->Start();
  }
  Accept();
}

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->started || impl_->stopping || impl_->stopped) {
    return Status::FailedPrecondition("http server already started or stopped");
  }
  const ServerOptions& options = impl_->state.options();
  std::string where = options.host + ":" + std::to_string(options.port);
  error_code ec;
  tcp::endpoint endpoint;
  net::ip::address address = net::ip::make_address(options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(impl_->state.io());
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return Status::Unavailable("cannot resolve http listen address " + where + ": " +
                                 (ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }
  tcp::acceptor& acceptor = impl_->acceptor;
  auto fail = [&](const char* what) {
    error_code ignored;
    acceptor.close(ignored);
    return Status::Unavailable(std::string("cannot ") + what + " http listen address " + where +
                               ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) {
    return fail("open");
  }
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) {
    return fail("configure");
  }
  acceptor.bind(endpoint, ec);
  if (ec) {
    return fail("bind");
  }
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen on");
  }
  impl_->port = acceptor.local_endpoint(ec).port();
  impl_->work.emplace(net::make_work_guard(impl_->state.io()));
  impl_->Accept();                      // no worker runs yet: safe outside the strand
  const int threads = options.threads;  // resolved by ServerState
  impl_->workers.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    impl_->workers.emplace_back([impl = impl_.get()] {
      tl_worker_of = impl;
      for (;;) {
        try {
          impl->state.io().run();
          return;
        } catch (const std::exception& e) {
          impl->state.LogError(std::string("http worker caught: ") + e.what());
        }
      }
    });
  }
  impl_->started = true;
  return Status::Ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::Stop(Duration grace) {
  if (tl_worker_of == impl_.get()) {
    std::fputs("parley http: Server::Stop called from a worker thread\n", stderr);
    std::abort();
  }
  Impl& impl = *impl_;
  {
    std::unique_lock lock(impl.stop_mu);
    if (impl.stopping || impl.stopped) {
      impl.stopped_cv.wait(lock, [&] { return impl.stopped; });
      return;
    }
    if (!impl.started) {
      impl.stopped = true;
      impl.stopped_cv.notify_all();
      return;
    }
    impl.stopping = true;
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;

  // 1. No new connections: the acceptor closes on its strand.
  std::vector<std::shared_ptr<detail::Session>> sessions = impl.state.BeginStop();
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> acceptor_closed = closed->get_future();
  net::post(impl.acceptor.get_executor(), [&impl, closed] {
    error_code ignored;
    impl.acceptor.close(ignored);
    impl.retry_timer.cancel();
    closed->set_value();
  });
  // 2. Idle keep-alive connections close now; the others after their current request.
  for (const auto& session : sessions) {
    session->NotifyStop();
  }
  sessions.clear();
  acceptor_closed.wait_until(deadline);
  // 3. What is left when the grace period ends is closed.
  if (!impl.state.WaitDrained(deadline)) {
    for (const auto& session : impl.state.Live()) {
      session->ForceClose();
    }
  }
  // 4. The workers return once the last operation has completed.
  impl.work.reset();
  for (std::thread& worker : impl.workers) {
    worker.join();
  }
  impl.workers.clear();

  std::lock_guard lock(impl.stop_mu);
  impl.stopped = true;
  impl.stopped_cv.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(impl_->stop_mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace parley::http
