// The HTTP/1.1 server (Boost.Beast): keep-alive, a worker pool, request limits, timeouts,
// Host allow-list, routing with 404/405, graceful shutdown and an access log.
//
// Handlers are plain functions from Request to Response, called on a worker thread, or
// asynchronous handlers that take a Responder and answer later from any thread (the webhook
// hands its event to the conversation pipeline and answers when the pipeline is done, so a
// request waiting for the database pins no thread). A handler that throws gets a 500 and
// the connection closes; nothing a client sends can take the process down.
//
// Threading: ServerOptions::threads workers run one io_context. A handler runs directly on
// the worker that read its request and blocks that worker until it returns: synchronous
// handlers should be quick (an async handler returns at once). Handlers of different
// connections run concurrently and must be thread-safe; requests of one connection run one
// at a time (the next is read only after the answer is written).
//
// Limits and answers the server gives without calling a handler: header larger than
// max_header_bytes: 431; body larger than max_body_bytes: 413; malformed request: 400;
// Host not allowed or missing on HTTP/1.1: 400; framing that is not one Content-Length or
// one `Transfer-Encoding: chunked` (any other coding, both, duplicates, TE on HTTP/1.0):
// 400. These close the connection. An absolute-form target (`POST http://host/p HTTP/1.1`)
// is routed by its path; its authority must pass the Host allow-list and agree with the
// Host header. A response to HEAD never carries a body. A request
// whose header or body does not arrive within header_timeout: the connection is closed
// without an answer. Every response carries Content-Length (except 1xx/204),
// Content-Type, `Server: parley` and `X-Request-Id`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  // The request-target in origin form ("/twilio/messages?a=1"): as sent, except that an
  // absolute-form target ("http://host/twilio/messages?a=1") is reduced to its path and
  // query (what a webhook signature covers after PUBLIC_URL).
  std::string target;
  std::string path;                                          // target up to '?', undecoded
  std::string query;                                         // after '?', undecoded; empty if none
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;
  std::string remote;      // peer "ip:port"
  std::string request_id;  // generated per request; also sent back as X-Request-Id
  // The route's path parameters ("{id}" of "/admin/contacts/{id}"), as sent (undecoded);
  // set by the Router before it calls the handler.
  std::vector<std::pair<std::string, std::string>> path_params;

  // First header named `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
  // The path parameter `name`, or empty.
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static Response Text(int status, std::string body);
};

using Handler = std::function<Response(const Request&)>;

// Answers one request, once, from any thread. Later calls are ignored. When the last copy is
// destroyed without an answer the request gets a 500, so a handler that loses its answer
// cannot leave the connection hanging.
class Responder {
 public:
  using Fn = std::function<void(Response)>;
  explicit Responder(Fn fn);
  void operator()(Response response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The Request is valid until the Responder is called (the connection reads nothing else
// before it answers); copy what is needed after that.
using AsyncHandler = std::function<void(const Request&, Responder)>;

// Routing by path. A route's path is exact ("/admin/contacts") or has parameters: a
// segment written "{name}" matches any one non-empty segment (no '/'), handed to the
// handler as Request::path_params. When several routes of the request's method match a
// path, the one with the fewest parameters wins ("/admin/contacts/new" before
// "/admin/contacts/{id}"), then the first added. A path with no route: 404; a path with routes but
// none for the method: 405 with an Allow header. HEAD on a path with a GET route and no HEAD route
// calls the GET's handler; the server sends its status and headers (Content-Length of
// the GET's body included) without the body.
class Router {
 public:
  void Add(std::string method, std::string path, Handler handler);
  void AddAsync(std::string method, std::string path, AsyncHandler handler);
  // Calls the route's handler (or answers 404/405) with `respond`, after setting the
  // request's path_params.
  void Dispatch(Request& request, Responder respond) const;
  // The same, waiting for the answer (tests).
  Response Dispatch(Request request) const;
  // True if some route (any method) matches this path.
  bool HasPath(std::string_view path) const;
  // The route path ("/admin/contacts/{id}") that matches `path`, or empty: what the server
  // reports to ServerOptions::observe, so metrics get one series per route, not per id.
  std::string_view RoutePath(std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    AsyncHandler handler;
    int params = 0;  // "{...}" segments in path
  };
  // Whether `route` matches `path`; fills `params` (when given) with its parameters.
  static bool Matches(const Route& route, std::string_view path,
                      std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Route> routes_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;                 // 0: any free port (see Server::port)
  int threads = 0;                      // workers; 0: one per hardware thread, at least 2
  size_t max_body_bytes = 64 * 1024;    // larger: 413
  size_t max_header_bytes = 16 * 1024;  // request line + fields; larger: 431
  // To receive a whole request (header and body) once its first byte has arrived, and for
  // a new connection's first byte. Expiry closes the connection without an answer.
  Duration header_timeout = std::chrono::seconds(10);
  // A keep-alive connection's wait for the next request; also a client's time to take an
  // answer. Expiry closes the connection.
  Duration idle_timeout = std::chrono::seconds(60);
  // Host header values accepted (port ignored; "*" accepts any; a leading "." matches the
  // domain and its subdomains, as Django's ALLOWED_HOSTS). Anything else: 400.
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  // One line per request, written by the server as the answer is sent:
  //   req=1a2b3c4d5e6f7a8b remote=127.0.0.1:5555 POST /twilio/messages 200 1.2ms in=532 out=96
  // (method and path are "-" when the request line was unreadable; in/out are bytes on the
  // wire, as sent). Never contains a query string, a body or a header value. Null: no access log.
  // Called on workers, concurrently; must be thread-safe.
  std::function<void(std::string_view line)> access_log;
  // Server-side errors worth a human's attention (a handler that threw, with its what();
  // accept failures). Null: they go to access_log instead, if set. Called on workers.
  std::function<void(std::string_view line)> error_log;
  // Conditions the server rides out by itself, rate limited to one line a second with a
  // count of the ones left out (accept failures: out of file descriptors). Null: they go
  // to error_log instead, if set. Called on workers.
  std::function<void(std::string_view line)> warning_log;
  // Called once per answered request with its route path ("" when unrouted), status and
  // latency: feeds /metrics. Also called for the server's own answers (400/413/431) with
  // path "". Latency runs from the request's first byte to its answer handed to the socket. Called
  // on workers, concurrently; must be thread-safe.
  std::function<void(std::string_view path, int status, std::chrono::nanoseconds latency)> observe;
};

class Server {
 public:
  Server(ServerOptions options, Router router);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the workers. kUnavailable with the reason if the address cannot be
  // bound; kFailedPrecondition if already started or stopped.
  Status Start();
  // The bound port (useful with port 0), valid after Start.
  uint16_t port() const;
  // Graceful stop: stop accepting, let in-flight requests finish and answer (up to
  // `grace`), close idle keep-alive connections, join the workers. Idempotent; may be
  // called from any thread except a worker (a handler calling it aborts the process).
  // Concurrent callers all return once the first has finished. Handlers still blocked when
  // `grace` ends lose their connection; Stop still waits for them to return before joining.
  void Stop(Duration grace = std::chrono::seconds(10));
  // Blocks until Stop has finished.
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
