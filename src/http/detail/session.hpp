// One accepted connection: an async read loop that parses requests, calls the router on
// the worker thread, writes the answer and goes back to waiting (keep-alive). All of a
// session's work runs on its own strand.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "http/detail/request_parser.hpp"
#include "http/detail/server_state.hpp"
#include "http/server.hpp"

namespace parley::http::detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` must use a strand executor.
  Session(ServerState& state, boost::asio::ip::tcp::socket socket);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Set once, right after construction, by the acceptor.
  void set_registration(ServerState::SessionList::iterator it) { registration_ = it; }

  // Begins the read loop. Any thread.
  void Start();
  // The server is stopping: an idle keep-alive connection closes now; one mid-request or
  // in a handler finishes that request and closes after answering. Any thread.
  void NotifyStop();
  // The grace period is over: close whatever is left. Any thread.
  void ForceClose();

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing, kClosed };
  using error_code = boost::beast::error_code;

  void WaitForRequest();
  void OnFirstBytes(error_code ec, size_t bytes);
  void ReadHeader();
  void OnHeader(error_code ec, size_t bytes);
  void OnContinueWritten(error_code ec, size_t bytes);
  void ReadBody();
  void OnBody(error_code ec, size_t bytes);
  void OnReadError(error_code ec);
  void HandleRequest();
  // A handler threw: answer 500 (unless it answered already) and close afterwards.
  void Fail(const Responder& respond);
  // The handler's answer, on the strand.
  void Answer(Response response, bool handler_failed);
  // Answers with the server's own response (no handler) and closes afterwards.
  void Reject(int status, std::string body);
  void Write(Response response, bool close);
  void OnWritten(error_code ec, size_t bytes);
  void LogAccess();
  void CloseGracefully();
  void OnLinger(error_code ec, size_t bytes);
  void CloseNow();

  ServerState& state_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<ServerState::SessionList::iterator> registration_;
  std::string remote_;
  Phase phase_ = Phase::kIdle;

  // Per request; reused for the next request on this connection.
  Request request_;
  std::optional<RequestParser> parser_;
  Response response_;
  std::string head_;
  std::array<boost::asio::const_buffer, 2> out_;
  std::string route_;  // the route path matching the request (observe gets it), or ""
  int requests_ = 0;   // answered on this connection
  std::chrono::steady_clock::time_point started_;
  size_t bytes_in_ = 0;
  size_t bytes_out_ = 0;
  bool close_after_write_ = false;
  bool close_on_answer_ = false;  // the handler threw: close after its answer
  std::string log_line_;
  size_t lingered_ = 0;
};

}  // namespace parley::http::detail
