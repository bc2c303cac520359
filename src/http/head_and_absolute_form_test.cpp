// Issue 8 item 3: HEAD on a GET route answers like the GET without a body, and an
// absolute-form request line (RFC 9112 §3.2.2) is routed by its path, with its authority
// checked like a Host header.
#include <atomic>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/server.hpp"
#include "http/testing/client.hpp"
#include "http/testing/test_server.hpp"

namespace parley::http {
namespace {

using ::testing::HasSubstr;
using testing::TestServer;
using namespace std::chrono_literals;

Router GetRouter() {
  Router router;
  router.Add("GET", "/status", [](const Request&) {
    Response response = Response::Text(203, "twelve bytes");
    response.content_type = "application/x-status";
    response.headers.emplace_back("X-Extra", "yes");
    return response;
  });
  router.Add("POST", "/echo", [](const Request& r) {
    return Response::Text(200, r.target + "|" + r.path + "|" + r.query + "|" + r.body);
  });
  return router;
}

TEST(HeadTest, HeadOnAGetRouteSendsTheGetsHeadersWithoutTheBody) {
  TestServer server(GetRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  // Two HEADs then a GET on one connection: a body after a HEAD answer would be read as the
  // start of the next answer.
  ASSERT_TRUE(connection
                  ->WriteRaw("HEAD /status HTTP/1.1\r\nHost: localhost\r\n\r\n"
                             "HEAD /status?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                             "GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                  .ok());
  auto raw = connection->ReadUntilClosed(3s);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  const std::string head_part = raw->substr(0, raw->find("\r\n\r\n") + 4);
  EXPECT_THAT(head_part, HasSubstr("HTTP/1.1 203 "));
  EXPECT_THAT(head_part, HasSubstr("Content-Type: application/x-status\r\n"));
  EXPECT_THAT(head_part, HasSubstr("Content-Length: 12\r\n"));
  EXPECT_THAT(head_part, HasSubstr("X-Extra: yes\r\n"));
  // The second answer starts right after the first's header, the third likewise.
  const std::string rest = raw->substr(head_part.size());
  EXPECT_TRUE(rest.starts_with("HTTP/1.1 203 ")) << rest;
  const std::string third = rest.substr(rest.find("\r\n\r\n") + 4);
  EXPECT_TRUE(third.starts_with("HTTP/1.1 203 ")) << third;
  EXPECT_TRUE(third.ends_with("\r\n\r\ntwelve bytes")) << third;
}

TEST(HeadTest, HeadIsListedInAllowWhereGetIs) {
  TestServer server(GetRouter());
  auto response = testing::Send(testing::kHost, server.port(), "DELETE", "/status");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->Header("Allow"), "GET, HEAD");
  // HEAD where there is no GET: still 405, without a body.
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(
      connection->WriteRaw("HEAD /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .ok());
  auto raw = connection->ReadUntilClosed(3s);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->starts_with("HTTP/1.1 405 ")) << *raw;
  EXPECT_TRUE(raw->ends_with("\r\n\r\n")) << *raw;
}

// One request on a new connection; the raw answer.
std::string Exchange(TestServer& server, const std::string& request) {
  auto connection = server.Connect();
  EXPECT_TRUE(connection.ok());
  if (!connection.ok() || !connection->WriteRaw(request).ok()) {
    return "";
  }
  auto response = connection->ReadResponse();
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? std::to_string(response->status) + " " + response->body : "";
}

std::string Post(std::string_view target, std::string_view host_field) {
  std::string request = "POST " + std::string(target) + " HTTP/1.1\r\n";
  if (!host_field.empty()) {
    request += "Host: " + std::string(host_field) + "\r\n";
  }
  return request + "Content-Length: 2\r\nConnection: close\r\n\r\nhi";
}

TEST(AbsoluteFormTest, IsRoutedByItsPathAndTheHandlerSeesTheOriginForm) {
  ServerOptions options;
  options.allowed_hosts = {"parley.example.com", "localhost"};
  TestServer server(GetRouter(), options);
  EXPECT_EQ(Exchange(server, Post("http://parley.example.com/echo?a=1&b=2", "parley.example.com")),
            "200 /echo?a=1&b=2|/echo|a=1&b=2|hi");
  EXPECT_EQ(Exchange(server, Post("HTTPS://Parley.Example.com:443/echo", "parley.example.com:443")),
            "200 /echo|/echo||hi");
  // An empty path is "/" (no route here).
  EXPECT_EQ(Exchange(server, Post("http://parley.example.com?x", "parley.example.com")),
            "404 Not Found\n");
  // HTTP/1.0 may omit Host: the authority is the host.
  EXPECT_EQ(Exchange(server,
                     "POST http://parley.example.com/echo HTTP/1.0\r\n"
                     "Content-Length: 2\r\n\r\nhi"),
            "200 /echo|/echo||hi");
}

TEST(AbsoluteFormTest, TheAuthorityCannotBypassTheHostAllowList) {
  ServerOptions options;
  options.allowed_hosts = {"parley.example.com", "localhost"};
  TestServer server(GetRouter(), options);
  const std::string not_allowed = "400 Bad Request: host not allowed\n";
  // The authority is checked, whatever the Host header says.
  EXPECT_EQ(Exchange(server, Post("http://evil.example.org/echo", "parley.example.com")),
            not_allowed);
  EXPECT_EQ(Exchange(server,
                     "POST http://evil.example.org/echo HTTP/1.0\r\n"
                     "Content-Length: 2\r\n\r\nhi"),
            not_allowed);
  // An allowed authority with a Host naming another host (allowed or not) is refused.
  const std::string mismatch = "400 Bad Request: Host does not match the request target\n";
  EXPECT_EQ(Exchange(server, Post("http://parley.example.com/echo", "localhost")), mismatch);
  EXPECT_EQ(Exchange(server, Post("http://localhost/echo", "evil.example.org")),
            not_allowed);  // the Host header is still checked first
  // Missing Host on HTTP/1.1: 400 as for any request (RFC 9112 §3.2).
  EXPECT_EQ(Exchange(server, Post("http://parley.example.com/echo", "")),
            "400 Bad Request: missing Host\n");
  // Not an http(s) URL, userinfo, no host, a fragment: 400.
  for (const char* target :
       {"ftp://parley.example.com/echo", "http://user@parley.example.com/echo", "http:///echo",
        "http://parley.example.com/echo#frag", "parley.example.com/echo"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(Exchange(server, Post(target, "parley.example.com")).substr(0, 4), "400 ");
  }
}

}  // namespace
}  // namespace parley::http
