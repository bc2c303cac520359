// Request, Response and Router: the plain data side of the server.
#include <algorithm>
#include <cctype>
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

void Router::Add(std::string method, std::string path, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler)});
}

bool Router::HasPath(std::string_view path) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [path](const Route& route) { return route.path == path; });
}

Response Router::Dispatch(const Request& request) const {
  std::string allow;
  for (const Route& route : routes_) {
    if (route.path != request.path) {
      continue;
    }
    if (route.method == request.method) {
      return route.handler(request);
    }
    if (!allow.empty()) {
      allow += ", ";
    }
    allow += route.method;
  }
  if (allow.empty()) {
    return Response::Text(404, "Not Found\n");
  }
  Response response = Response::Text(405, "Method Not Allowed\n");
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

}  // namespace parley::http
