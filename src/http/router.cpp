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

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) {
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
  const int params = static_cast<int>(std::count(path.begin(), path.end(), '{'));
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler), params});
}

bool Router::Matches(const Route& route, std::string_view path,
                     std::vector<std::pair<std::string, std::string>>* params) {
  if (route.params == 0) {
    return route.path == path;
  }
  std::string_view pattern = route.path;
  // Segment by segment: a "{name}" segment takes one non-empty segment of the path.
  while (!pattern.empty() || !path.empty()) {
    const size_t pe = pattern.find('/', 1);
    const size_t ae = path.find('/', 1);
    const std::string_view want = pattern.substr(0, pe);
    const std::string_view got = path.substr(0, ae);
    if (want.size() > 3 && want.starts_with("/{") && want.ends_with('}')) {
      if (got.size() < 2 || got[0] != '/') {
        return false;
      }
      if (params != nullptr) {
        params->emplace_back(std::string(want.substr(2, want.size() - 3)),
                             std::string(got.substr(1)));
      }
    } else if (want != got) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view() : pattern.substr(pe);
    path = ae == std::string_view::npos ? std::string_view() : path.substr(ae);
  }
  return true;
}

bool Router::HasPath(std::string_view path) const { return !RoutePath(path).empty(); }

std::string_view Router::RoutePath(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if ((best == nullptr || route.params < best->params) && Matches(route, path, nullptr)) {
      best = &route;
    }
  }
  return best != nullptr ? std::string_view(best->path) : std::string_view();
}

Response Router::Dispatch(Request request) const {
  std::promise<Response> answer;
  std::future<Response> future = answer.get_future();
  Dispatch(request, Responder([&answer](Response r) { answer.set_value(std::move(r)); }));
  return future.get();
}

void Router::Dispatch(Request& request, Responder respond) const {
  std::string allow;
  const Route* chosen = nullptr;
  const Route* get = nullptr;
  for (const Route& route : routes_) {
    if (!Matches(route, request.path, nullptr)) {
      continue;
    }
    if (route.method == request.method) {
      if (chosen == nullptr || route.params < chosen->params) {
        chosen = &route;
      }
      continue;
    }
    if (!allow.empty()) {
      allow += ", ";
    }
    allow += route.method;
    if (route.method == "GET") {
      if (get == nullptr || route.params < get->params) {
        get = &route;
      }
      allow += ", HEAD";
    }
  }
  // RFC 9110 §9.3.2: HEAD is the GET without its body (the server drops the body and keeps
  // its Content-Length).
  if (chosen == nullptr && get != nullptr && request.method == "HEAD") {
    chosen = get;
  }
  if (chosen != nullptr) {
    request.path_params.clear();
    Matches(*chosen, request.path, &request.path_params);
    chosen->handler(request, std::move(respond));
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
