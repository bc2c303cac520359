#include "http/testing/client.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace parley::http::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

// Responses up to this size are read.
constexpr uint64_t kMaxResponseBody = 64 * 1024 * 1024;
constexpr size_t kReadChunk = 4096;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool HasHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) {
      return value;
    }
  }
  return {};
}

struct Connection::Impl {
  Impl(std::string host_in, uint16_t port_in, Duration timeout_in)
      : host(std::move(host_in)), port(port_in), timeout(timeout_in), stream(io) {}

  // Starts an operation with `initiate(handler)` and runs the io_context until it ends.
  template <typename Initiate>
  error_code Run(Initiate initiate) {
    error_code result = net::error::would_block;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  Status Fail(std::string_view what, const error_code& ec) const {
    return Status::Unavailable(std::string(what) + " " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
  }

  std::string host;
  uint16_t port;
  Duration timeout;
  net::io_context io;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() {
  if (impl_) {
    error_code ignored;
    impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream.socket().close(ignored);
  }
}

Result<Connection> Connection::Open(const std::string& host, uint16_t port, Duration timeout) {
  auto impl = std::make_unique<Impl>(host, port, timeout);
  error_code ec;
  tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    return impl->Fail("cannot resolve", ec);
  }
  impl->stream.expires_after(timeout);
  ec = impl->Run([&](auto handler) { impl->stream.async_connect(endpoints, handler); });
  if (ec) {
    return impl->Fail("cannot connect to", ec);
  }
  impl->stream.socket().set_option(tcp::no_delay(true), ec);
  return Connection(std::move(impl));
}

Result<ClientResponse> Connection::Send(std::string_view method, std::string_view target,
                                        const Headers& headers, std::string_view body) {
  bhttp::request<bhttp::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  if (!HasHeader(headers, "Host")) {
    request.set(bhttp::field::host, impl_->host + ":" + std::to_string(impl_->port));
  }
  for (const auto& [name, value] : headers) {
    request.insert(beast::string_view(name.data(), name.size()),
                   beast::string_view(value.data(), value.size()));
  }
  request.body().assign(body.data(), body.size());
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.prepare_payload();
  }
  impl_->stream.expires_after(impl_->timeout);
  error_code ec =
      impl_->Run([&](auto handler) { bhttp::async_write(impl_->stream, request, handler); });
  if (ec) {
    return impl_->Fail("cannot write to", ec);
  }
  return ReadResponse();
}

Status Connection::WriteRaw(std::string_view bytes) {
  impl_->stream.expires_after(impl_->timeout);
  error_code ec = impl_->Run([&](auto handler) {
    net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()), handler);
  });
  if (ec) {
    return impl_->Fail("cannot write to", ec);
  }
  return Status::Ok();
}

Result<ClientResponse> Connection::ReadResponse() {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  impl_->stream.expires_after(impl_->timeout);
  error_code ec = impl_->Run(
      [&](auto handler) { bhttp::async_read(impl_->stream, impl_->buffer, parser, handler); });
  if (ec) {
    return impl_->Fail("cannot read a response from", ec);
  }
  auto& message = parser.get();
  ClientResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  response.keep_alive = message.keep_alive();
  return response;
}

Result<std::string> Connection::ReadUntilClosed(Duration timeout) {
  std::string received(static_cast<const char*>(impl_->buffer.data().data()), impl_->buffer.size());
  impl_->buffer.clear();
  impl_->stream.expires_after(timeout);
  for (;;) {
    size_t n = 0;
    error_code ec = impl_->Run([&](auto handler) {
      impl_->stream.async_read_some(impl_->buffer.prepare(kReadChunk),
                                    [&n, handler](error_code e, size_t bytes) mutable {
                                      n = bytes;
                                      handler(e);
                                    });
    });
    impl_->buffer.commit(n);
    received.append(static_cast<const char*>(impl_->buffer.data().data()), impl_->buffer.size());
    impl_->buffer.clear();
    if (ec == net::error::eof || ec == net::error::connection_reset) {
      return received;
    }
    if (ec) {
      return impl_->Fail("connection still open or failed:", ec);
    }
  }
}

std::string Connection::local_address() const {
  error_code ec;
  tcp::endpoint local = impl_->stream.socket().local_endpoint(ec);
  if (ec) {
    return {};
  }
  return local.address().to_string() + ":" + std::to_string(local.port());
}

Result<ClientResponse> Send(const std::string& host, uint16_t port, std::string_view method,
                            std::string_view target, const Headers& headers, std::string_view body,
                            Duration timeout) {
  Result<Connection> connection = Connection::Open(host, port, timeout);
  if (!connection.ok()) {
    return connection.status();
  }
  return connection->Send(method, target, headers, body);
}

}  // namespace parley::http::testing
