// parley healthcheck [--url URL] [--env FILE] [--timeout SECONDS]
//
// Asks a running `parley serve` whether it should get traffic (GET /readyz: flows loaded,
// database reachable and writable, schema current) and exits 0 when it answers 200, 1
// otherwise with the reason on stderr. It is what the Dockerfile's HEALTHCHECK runs: the
// image has no shell tools that speak HTTP (dash has no /dev/tcp), and parley is there.
//
// Without --url it asks http://127.0.0.1:PORT/readyz, PORT from PARLEY_LISTEN (the same
// configuration `serve` reads), with a Host header ALLOWED_HOSTS accepts, so it works
// whatever public name the server is configured for.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>

#include "app/commands.hpp"
#include "app/config.hpp"

namespace parley::app {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct HealthcheckOptions {
  std::string url;       // empty: from PARLEY_LISTEN
  std::string env_file;  // --env; empty: .env if present
  double timeout_seconds = 3;
};

struct Target {
  std::string host;  // to connect to
  std::string port;
  std::string path;
  std::string host_header;
};

// http://HOST[:PORT][/PATH]; https is not spoken (a health check asks the local process).
std::optional<Target> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return std::nullopt;
  }
  std::string rest = url.substr(kScheme.size());
  Target t;
  const size_t slash = rest.find('/');
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  t.host_header = authority;
  t.port = "80";
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8000
    const size_t close = authority.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    t.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      t.port = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string::npos) {
    t.host = authority.substr(0, colon);
    t.port = authority.substr(colon + 1);
  } else {
    t.host = authority;
  }
  if (t.host.empty() || t.port.empty()) {
    return std::nullopt;
  }
  return t;
}

// A name the server's Host check accepts: the first concrete entry of ALLOWED_HOSTS (the
// default list starts with localhost); a domain entry ".example.com" accepts example.com.
std::string AcceptedHost(const Config& config) {
  for (const std::string& h : config.allowed_hosts) {
    if (h == "*" || h.empty()) {
      continue;
    }
    return h.front() == '.' ? h.substr(1) : h;
  }
  return "localhost";
}

Result<Target> DefaultTarget(const std::string& env_file) {
  auto config = LoadCommandConfig(env_file);
  if (!config.ok()) {
    return config.status();
  }
  Target t;
  // A server listening on every interface is reached on loopback.
  const std::string& h = config->listen_host;
  t.host = h == "0.0.0.0" || h.empty() ? "127.0.0.1" : h == "::" ? "::1" : h;
  t.port = std::to_string(config->listen_port);
  t.path = "/readyz";
  t.host_header = AcceptedHost(*config) + ":" + t.port;
  return t;
}

int Healthcheck(const HealthcheckOptions& o) {
  const auto fail = [](const std::string& why) {
    std::cerr << "parley healthcheck: " << why << "\n";
    return kExitFailure;
  };
  Target target;
  if (o.url.empty()) {
    auto t = DefaultTarget(o.env_file);
    if (!t.ok()) {
      return fail(t.status().message());
    }
    target = std::move(*t);
  } else if (auto t = ParseHttpUrl(o.url)) {
    target = std::move(*t);
  } else {
    std::cerr << "parley healthcheck: --url " << o.url
              << ": expected http://HOST[:PORT][/PATH], such as http://127.0.0.1:8000/readyz\n";
    return kExitUsage;
  }
  const std::string url = "http://" + target.host_header + target.path;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds * 1000));
  try {
    net::io_context io;
    net::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);  // connect, request and answer together
    stream.connect(resolver.resolve(target.host, target.port));
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target.path, 11};
    request.set(bhttp::field::host, target.host_header);
    request.set(bhttp::field::user_agent, "parley-healthcheck");
    request.set(bhttp::field::connection, "close");
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024);
    bhttp::read(stream, buffer, parser);
    const auto& response = parser.get();
    std::string body = response.body();
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
      body.pop_back();
    }
    if (response.result_int() != 200) {
      return fail(url + " answered " + std::to_string(response.result_int()) +
                  (body.empty() ? "" : ": " + body));
    }
    std::cout << url << ": " << (body.empty() ? "ok" : body) << "\n";
    return kExitOk;
  } catch (const boost::system::system_error& e) {
    return fail(url + ": " +
                (e.code() == beast::error::timeout
                     ? "no answer within " + std::to_string(timeout.count()) + " ms"
                     : e.code().message()));
  }
}

}  // namespace

void AddHealthcheckCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<HealthcheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "healthcheck", "Exit 0 if the local server is ready (GET /readyz answers 200), else 1");
  cmd->add_option("--url", options->url,
                  "the URL to ask (default: http://127.0.0.1:PORT/readyz, PORT from "
                  "PARLEY_LISTEN)");
  cmd->add_option("--env", options->env_file,
                  "the .env file to read; it must exist (default: .env, if present)");
  cmd->add_option("--timeout", options->timeout_seconds, "seconds to wait for the answer")
      ->check(CLI::Range(0.1, 60.0));
  cmd->footer(
      "Examples:\n"
      "  parley healthcheck                      # the server PARLEY_LISTEN names\n"
      "  parley healthcheck --url http://127.0.0.1:8001/readyz\n"
      "  HEALTHCHECK CMD [\"parley\", \"healthcheck\"]   # in a Dockerfile");
  cmd->callback([options, &exit_code] { exit_code = Healthcheck(*options); });
}

}  // namespace parley::app
