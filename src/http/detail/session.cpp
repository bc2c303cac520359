#include "http/detail/session.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <exception>
#include <random>
#include <string_view>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

namespace parley::http::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Bytes asked for while waiting for the next request (most requests arrive in one read).
constexpr size_t kReadChunkBytes = 4096;
// After an answer that closes the connection, unread input is drained this long (or up
// to this many bytes) so the client sees the answer rather than a reset.
constexpr auto kLingerTimeout = std::chrono::milliseconds(500);
constexpr size_t kLingerMaxBytes = 1024 * 1024;
// Paths longer than this are cut in the access log.
constexpr size_t kMaxLoggedPath = 256;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr int kRequestIdHexDigits = 16;

// A random 16-hex-digit id. One generator per thread: no lock on the request path.
void NewRequestId(std::string& out) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t value = generator();
  out.resize(kRequestIdHexDigits);
  for (int i = kRequestIdHexDigits - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[value & 0xf];
    value >>= 4;
  }
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// No body and no Content-Length for these (RFC 9110 8.6).
bool StatusHasNoContent(int status) { return (status >= 100 && status < 200) || status == 204; }

// Printable ASCII only, cut to kMaxLoggedPath: the log stays one parseable line.
void AppendLoggable(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  bool cut = s.size() > kMaxLoggedPath;
  for (char c : s.substr(0, kMaxLoggedPath)) {
    out += (c > ' ' && c < 0x7f && c != '"') ? c : '?';
  }
  if (cut) {
    out += "...";
  }
}

}  // namespace

Session::Session(ServerState& state, tcp::socket socket)
    : state_(state), stream_(std::move(socket)) {
  error_code ec;
  tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
  if (ec) {
    remote_ = "-";
  } else {
    if (peer.address().is_v6()) {
      remote_ = "[" + peer.address().to_string() + "]";
    } else {
      remote_ = peer.address().to_string();
    }
    remote_ += ':';
    AppendNumber(remote_, peer.port());
  }
  stream_.socket().set_option(tcp::no_delay(true), ec);
  head_.reserve(256);
  log_line_.reserve(256);
}

Session::~Session() {
  if (registration_) {
    state_.Unregister(*registration_);
  }
}

void Session::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
}

void Session::NotifyStop() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kIdle) {
      self->CloseNow();
    }
  });
}

void Session::ForceClose() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ != Phase::kClosed) {
      self->CloseNow();
    }
  });
}

void Session::WaitForRequest() {
  phase_ = Phase::kIdle;
  if (state_.stopping()) {
    CloseNow();
    return;
  }
  if (buffer_.size() > 0) {  // pipelined: the next request is already here
    ReadHeader();
    return;
  }
  // The first request of a connection is due within header_timeout; later ones may take
  // idle_timeout to start.
  stream_.expires_after(requests_ == 0 ? state_.options().header_timeout
                                       : state_.options().idle_timeout);
  stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                          beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
}

void Session::OnFirstBytes(error_code ec, size_t bytes) {
  if (ec) {  // idle timeout, the client closed, or the server is stopping
    CloseNow();
    return;
  }
  buffer_.commit(bytes);
  ReadHeader();
}

void Session::ReadHeader() {
  phase_ = Phase::kReading;
  started_ = std::chrono::steady_clock::now();
  bytes_in_ = 0;
  bytes_out_ = 0;
  route_.clear();
  request_.headers.clear();
  request_.body.clear();
  request_.method.clear();
  request_.target.clear();
  request_.path.clear();
  request_.query.clear();
  request_.remote = remote_;
  NewRequestId(request_.request_id);
  parser_.emplace(request_, state_.options().max_body_bytes, state_.options().max_header_bytes);
  // header_timeout covers the whole request: header and body.
  stream_.expires_after(state_.options().header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(error_code ec, size_t bytes) {
  bytes_in_ += bytes;
  if (ec) {
    OnReadError(ec);
    return;
  }
  // Host checks before the body is read: a rejected request costs no body.
  int hosts = parser_->host_count();
  if (hosts == 0 && parser_->version() >= 11) {
    Reject(400, "Bad Request: missing Host\n");
    return;
  }
  if (hosts > 1) {
    Reject(400, "Bad Request: more than one Host\n");
    return;
  }
  if (hosts == 1 && !state_.hosts().Allows(request_.Header("Host"))) {
    Reject(400, "Bad Request: host not allowed\n");
    return;
  }
  // Absolute form: RFC 9112 §3.2.2 makes the target's authority the host. It passes the
  // same allow-list, and a Host header naming another host is refused rather than ignored,
  // so neither can smuggle a host past the check.
  if (const std::string& authority = parser_->authority(); !authority.empty()) {
    if (!state_.hosts().Allows(authority)) {
      Reject(400, "Bad Request: host not allowed\n");
      return;
    }
    if (hosts == 1 && NormalizeHost(authority) != NormalizeHost(request_.Header("Host"))) {
      Reject(400, "Bad Request: Host does not match the request target\n");
      return;
    }
  }
  if (parser_->is_done()) {
    HandleRequest();
    return;
  }
  if (parser_->expect_continue() && parser_->version() >= 11) {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     beast::bind_front_handler(&Session::OnContinueWritten, shared_from_this()));
    return;
  }
  ReadBody();
}

void Session::OnContinueWritten(error_code ec, size_t /*bytes*/) {
  if (ec) {
    CloseNow();
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(error_code ec, size_t bytes) {
  bytes_in_ += bytes;
  if (ec) {
    OnReadError(ec);
    return;
  }
  HandleRequest();
}

void Session::OnReadError(error_code ec) {
  if (ec == bhttp::error::body_limit) {
    Reject(413, "Payload Too Large\n");
    return;
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    Reject(431, "Request Header Fields Too Large\n");
    return;
  }
  bool parse_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  if (parse_error) {
    Reject(400, "Bad Request\n");
    return;
  }
  // The client went away, the request took longer than header_timeout (the stream is
  // already closed), or the server is stopping.
  CloseNow();
}

void Session::HandleRequest() {
  phase_ = Phase::kHandling;
  route_ = std::string(state_.router().RoutePath(request_.path));
  // The answer may come from any thread (an async handler): it is posted to this
  // connection's strand. The Responder holds the session alive until then.
  Responder respond([self = shared_from_this()](Response response) {
    net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
      self->Answer(std::move(response), /*handler_failed=*/false);
    });
  });
  try {
    state_.router().Dispatch(request_, respond);
  } catch (const std::exception& e) {
    state_.LogError("req=" + request_.request_id + " handler threw: " + e.what());
    Fail(respond);
  } catch (...) {
    state_.LogError("req=" + request_.request_id + " handler threw a non-exception");
    Fail(respond);
  }
}

void Session::Fail(const Responder& respond) {
  // Answered at most once: if the handler answered before throwing, this is ignored.
  Responder once = respond;
  once(Response::Text(500, "Internal Server Error\n"));
  close_on_answer_ = true;
}

void Session::Answer(Response response, bool handler_failed) {
  if (phase_ != Phase::kHandling) {
    return;  // closed meanwhile (grace period over)
  }
  bool close = !parser_->keep_alive() || state_.stopping() || handler_failed || close_on_answer_;
  close_on_answer_ = false;
  if (response.status < 100 || response.status > 999) {
    state_.LogError("req=" + request_.request_id + " handler returned status " +
                    std::to_string(response.status));
    response = Response::Text(500, "Internal Server Error\n");
    close = true;
  }
  Write(std::move(response), close);
}

void Session::Reject(int status, std::string body) {
  Write(Response::Text(status, std::move(body)), /*close=*/true);
}

void Session::Write(Response response, bool close) {
  phase_ = Phase::kWriting;
  response_ = std::move(response);
  for (const auto& [name, value] : response_.headers) {
    if (IEquals(name, "Connection") && IEquals(value, "close")) {
      close = true;
    }
  }
  if (state_.stopping()) {
    close = true;
  }
  close_after_write_ = close;
  const int status = response_.status;
  const bool no_content = StatusHasNoContent(status);

  head_.clear();
  head_ += "HTTP/1.1 ";
  AppendNumber(head_, static_cast<uint64_t>(status));
  head_ += ' ';
  beast::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  head_.append(reason.data(), reason.size());
  head_ += "\r\nServer: parley\r\nContent-Type: ";
  head_ += HasLineBreak(response_.content_type) ? "application/octet-stream"
                                                : std::string_view(response_.content_type);
  if (!no_content) {
    head_ += "\r\nContent-Length: ";
    AppendNumber(head_, response_.body.size());
  }
  head_ += "\r\nX-Request-Id: ";
  head_ += request_.request_id;
  if (close) {
    head_ += "\r\nConnection: close";
  } else if (parser_ && parser_->version() < 11) {
    head_ += "\r\nConnection: keep-alive";
  }
  for (const auto& [name, value] : response_.headers) {
    // The server owns framing; a header that would break the response is dropped.
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos || IEquals(name, "Content-Length") ||
        IEquals(name, "Transfer-Encoding") || IEquals(name, "Connection") ||
        IEquals(name, "Server") || IEquals(name, "X-Request-Id") || IEquals(name, "Content-Type")) {
      continue;
    }
    head_ += "\r\n";
    head_ += name;
    head_ += ": ";
    head_ += value;
  }
  head_ += "\r\n\r\n";

  out_[0] = net::buffer(head_);
  const bool head = parser_ && parser_->got_request_line() && request_.method == "HEAD";
  out_[1] = no_content || head ? net::const_buffer() : net::buffer(response_.body);
  // Logged as the answer is handed to the socket, so a client that sends its next request
  // as soon as it has this answer finds this line already written.
  bytes_out_ = out_[0].size() + out_[1].size();
  LogAccess();
  // A client gets idle_timeout to take the answer.
  stream_.expires_after(state_.options().idle_timeout);
  net::async_write(stream_, out_,
                   beast::bind_front_handler(&Session::OnWritten, shared_from_this()));
}

void Session::OnWritten(error_code ec, size_t /*bytes*/) {
  if (ec) {
    CloseNow();
    return;
  }
  ++requests_;
  if (close_after_write_) {
    CloseGracefully();
    return;
  }
  WaitForRequest();
}

void Session::LogAccess() {
  const ServerOptions& options = state_.options();
  auto elapsed = std::chrono::steady_clock::now() - started_;
  if (options.observe) {
    options.observe(route_, response_.status,
                    std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
  }
  if (!options.access_log) {
    return;
  }
  bool line_known = parser_ && parser_->got_request_line();
  log_line_.clear();
  log_line_ += "req=";
  log_line_ += request_.request_id;
  log_line_ += " remote=";
  log_line_ += remote_;
  log_line_ += ' ';
  AppendLoggable(log_line_, line_known ? std::string_view(request_.method) : std::string_view());
  log_line_ += ' ';
  AppendLoggable(log_line_, line_known ? std::string_view(request_.path) : std::string_view());
  log_line_ += ' ';
  AppendNumber(log_line_, static_cast<uint64_t>(response_.status));
  char millis[32];
  int n = std::snprintf(millis, sizeof(millis),
                        " %.1fms in=", std::chrono::duration<double, std::milli>(elapsed).count());
  log_line_.append(millis, static_cast<size_t>(n));
  AppendNumber(log_line_, bytes_in_);
  log_line_ += " out=";
  AppendNumber(log_line_, bytes_out_);
  options.access_log(log_line_);
}

void Session::CloseGracefully() {
  phase_ = Phase::kClosing;
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    CloseNow();
    return;
  }
  lingered_ = 0;
  buffer_.clear();
  stream_.expires_after(kLingerTimeout);
  stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                          beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::OnLinger(error_code ec, size_t bytes) {
  lingered_ += bytes;
  if (ec || lingered_ > kLingerMaxBytes) {
    CloseNow();
    return;
  }
  stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                          beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::CloseNow() {
  phase_ = Phase::kClosed;
  stream_.close();
}

}  // namespace parley::http::detail
