// Request, Response and Router: the plain data side of the server.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <string>
#include <string_view>
#include <utility>

#include "http/server.hpp"

namespace parley::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

struct Responder::State {
  explicit State(Fn f) : fn(std::move(f)) {}
  ~State() {
    if (!answered.exchange(true)) {
      fn(Response::Text(500, "Internal Server Error\n"));
    }
  }
  Fn fn;
  std::atomic<bool> answered{false};
};

Responder::Responder(Fn fn) : state_(std::make_shared<State>(std::move(fn))) {}

void Responder::operator()(Response response) const {
  if (!state_->answered.exchange(true)) {
    // Released after use: what it holds (the connection) must not wait for the last copy.
    Fn fn = std::move(state_->fn);
    state_->fn = nullptr;
    fn(std::move(response));
  }
}

void Router::Add(std::string method, std::string path, Handler handler) {
  AddAsync(std::move(method), std::move(path),
           [handler = std::move(handler)](const Request& request, Responder respond) {
             respond(handler(request));
           });
}

void Router::AddAsync(std::string method, std::string path, AsyncHandler handler) {
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler)});
}

bool Router::HasPath(std::string_view path) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [path](const Route& route) { return route.path == path; });
}

Response Router::Dispatch(const Request& request) const {
  std::promise<Response> answer;
  std::future<Response> future = answer.get_future();
  Dispatch(request, Responder([&answer](Response r) { answer.set_value(std::move(r)); }));
  return future.get();
}

void Router::Dispatch(const Request& request, Responder respond) const {
  std::string allow;
  const Route* get = nullptr;
  for (const Route& route : routes_) {
    if (route.path != request.path) {
      continue;
    }
    if (route.method == request.method) {
      route.handler(request, std::move(respond));
      return;
    }
    if (!allow.empty()) {
      allow += ", ";
    }
    allow += route.method;
    if (route.method == "GET") {
      get = &route;
      allow += ", HEAD";
    }
  }
  // RFC 9110 §9.3.2: HEAD is the GET without its body (the server drops the body and keeps
  // its Content-Length).
  if (get != nullptr && request.method == "HEAD") {
    get->handler(request, std::move(respond));
    return;
  }
  if (allow.empty()) {
    respond(Response::Text(404, "Not Found\n"));
    return;
  }
  Response response = Response::Text(405, "Method Not Allowed\n");
  response.headers.emplace_back("Allow", std::move(allow));
  respond(std::move(response));
}

}  // namespace parley::http
