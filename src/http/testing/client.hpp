// A small blocking HTTP/1.1 client for tests (Beast over a private io_context), with a
// timeout on every call. Not for production: one request at a time, no TLS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::http::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr Duration kDefaultClientTimeout = std::chrono::seconds(5);

struct ClientResponse {
  int status = 0;
  Headers headers;  // in arrival order
  std::string body;
  bool keep_alive = false;  // the server left the connection open for another request

  // First header named `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
};

// One request on a new connection, then closes it. A `Host: host:port` header is added
// unless `headers` has one. kUnavailable on connect/read/write failure or timeout.
Result<ClientResponse> Send(const std::string& host, uint16_t port, std::string_view method,
                            std::string_view target, const Headers& headers = {},
                            std::string_view body = {}, Duration timeout = kDefaultClientTimeout);

// One connection reused for several requests (keep-alive), plus raw access for tests of
// malformed or slow clients. Movable, not copyable; not thread-safe.
class Connection {
 public:
  static Result<Connection> Open(const std::string& host, uint16_t port,
                                 Duration timeout = kDefaultClientTimeout);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Sends a request and reads its response, `timeout` (from Open) for the pair.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              const Headers& headers = {}, std::string_view body = {});
  // Writes bytes as they are.
  Status WriteRaw(std::string_view bytes);
  // Reads one response.
  Result<ClientResponse> ReadResponse();
  // Reads until the server closes the connection; what arrived meanwhile. kUnavailable if
  // it is still open after `timeout`.
  Result<std::string> ReadUntilClosed(Duration timeout = kDefaultClientTimeout);

  // This side's "ip:port" (the server sees it as Request::remote).
  std::string local_address() const;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http::testing
