// A parley HTTP server on a free port for tests, whose logs and observations the test can
// read. Header-only test support (GoogleTest assertions on start).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.hpp"
#include "http/testing/client.hpp"

namespace parley::http::testing {

inline constexpr const char* kHost = "127.0.0.1";

// Polls `done` until it holds or `timeout` passes.
template <typename Pred>
bool Eventually(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class TestServer {
 public:
  explicit TestServer(Router router, ServerOptions options = {}) {
    options.port = 0;
    if (options.threads == 0) {
      options.threads = 4;
    }
    options.access_log = [this](std::string_view line) { Add(access_, line); };
    options.error_log = [this](std::string_view line) { Add(errors_, line); };
    options.warning_log = [this](std::string_view line) { Add(warnings_, line); };
    options.observe = [this](std::string_view path, int status, std::chrono::nanoseconds) {
      Add(observed_, std::string(path) + " " + std::to_string(status));
    };
    server_ = std::make_unique<Server>(std::move(options), std::move(router));
    Status status = server_->Start();
    EXPECT_TRUE(status.ok()) << status.ToString();
  }

  Server& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::vector<std::string> access() { return Copy(access_); }
  std::vector<std::string> errors() { return Copy(errors_); }
  std::vector<std::string> warnings() { return Copy(warnings_); }
  std::vector<std::string> observed() { return Copy(observed_); }

  Result<ClientResponse> Get(std::string_view target, const Headers& headers = {}) {
    return Send(kHost, port(), "GET", target, headers);
  }
  Result<Connection> Connect() { return Connection::Open(kHost, port()); }

 private:
  void Add(std::vector<std::string>& lines, std::string_view line) {
    std::lock_guard lock(mu_);
    lines.emplace_back(line);
  }
  std::vector<std::string> Copy(const std::vector<std::string>& lines) {
    std::lock_guard lock(mu_);
    return lines;
  }

  std::mutex mu_;
  std::vector<std::string> access_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
  std::vector<std::string> observed_;
  std::unique_ptr<Server> server_;
};

}  // namespace parley::http::testing
