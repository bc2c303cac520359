// Issue 8 item 2: request smuggling. Every framing the server cannot be sure of is answered
// 400 and the connection closed, so a request hidden in the body is never executed.
#include <atomic>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/server.hpp"
#include "http/testing/client.hpp"
#include "http/testing/test_server.hpp"

namespace parley::http {
namespace {

using testing::TestServer;
using namespace std::chrono_literals;

// The request a front proxy would not see: executing it is the attack.
constexpr std::string_view kHidden = "GET /hidden HTTP/1.1\r\nHost: localhost\r\n\r\n";

struct Counts {
  std::atomic<int> in{0};
  std::atomic<int> hidden{0};
};

Router CountingRouter(Counts& counts) {
  Router router;
  router.Add("POST", "/in", [&counts](const Request&) {
    ++counts.in;
    return Response::Text(200, "in");
  });
  router.Add("GET", "/hidden", [&counts](const Request&) {
    ++counts.hidden;
    return Response::Text(200, "hidden");
  });
  return router;
}

struct Variant {
  std::string name;
  std::string request;  // header and body, the hidden request included
};

// `fields` are the framing headers; the body is framed so that, had the server accepted
// the framing, kHidden would be parsed as the next request on the connection.
Variant Make(std::string name, std::string fields, std::string body, std::string version = "1.1") {
  return Variant{std::move(name), "POST /in HTTP/" + version +
                                      "\r\nHost: localhost\r\nConnection: keep-alive\r\n" + fields +
                                      "\r\n" + body};
}

std::vector<Variant> SmugglingVariants() {
  const std::string hidden(kHidden);
  const std::string chunked_empty = "0\r\n\r\n";   // an empty chunked body
  const std::string cl = "Content-Length: 5\r\n";  // frames chunked_empty
  std::vector<Variant> v;
  for (std::string coding : {"xchunked", "gzip", "identity", "chunked, gzip", "chunkedx", ""}) {
    v.push_back(Make("TE '" + coding + "' + CL", "Transfer-Encoding: " + coding + "\r\n" + cl,
                     chunked_empty + hidden));
    // No Content-Length: Beast reads no body at all, so the body is the next request.
    v.push_back(Make("TE '" + coding + "' alone", "Transfer-Encoding: " + coding + "\r\n", hidden));
  }
  // `chunked` last but not alone: a coding we cannot decode.
  v.push_back(
      Make("TE 'gzip, chunked'", "Transfer-Encoding: gzip, chunked\r\n", chunked_empty + hidden));
  v.push_back(Make("TE gzip then TE chunked",
                   "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
                   chunked_empty + hidden));
  v.push_back(Make("TE chunked twice",
                   "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                   chunked_empty + hidden));
  v.push_back(Make("TE chunked then TE identity",
                   "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                   chunked_empty + hidden));
  // RFC 9112 §6.3: TE and CL together may be rejected; we do, in either order.
  v.push_back(
      Make("TE chunked + CL", "Transfer-Encoding: chunked\r\n" + cl, chunked_empty + hidden));
  v.push_back(
      Make("CL + TE chunked", cl + "Transfer-Encoding: chunked\r\n", chunked_empty + hidden));
  // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 is faulty framing.
  v.push_back(Make("TE chunked on HTTP/1.0", "Transfer-Encoding: chunked\r\n",
                   chunked_empty + hidden, "1.0"));
  // Obsolete line folding is unfolded (RFC 9112 §5.2); the folded value is not a lone
  // `chunked`.
  v.push_back(
      Make("TE folded", "Transfer-Encoding: gzip,\r\n chunked\r\n", chunked_empty + hidden));
  // Whitespace between the field name and the colon (RFC 9112 §5.1).
  v.push_back(Make("TE with space before colon", "Transfer-Encoding : chunked\r\n" + cl,
                   chunked_empty + hidden));
  // Content-Length: one field, digits only.
  v.push_back(
      Make("CL differing", "Content-Length: 5\r\nContent-Length: 0\r\n", chunked_empty + hidden));
  v.push_back(
      Make("CL repeated", "Content-Length: 5\r\nContent-Length: 5\r\n", chunked_empty + hidden));
  v.push_back(Make("CL list", "Content-Length: 5, 5\r\n", chunked_empty + hidden));
  v.push_back(Make("CL signed", "Content-Length: +5\r\n", chunked_empty + hidden));
  return v;
}

TEST(FramingTest, AmbiguousFramingGets400AndClosesSoTheHiddenRequestNeverRuns) {
  Counts counts;
  TestServer server(CountingRouter(counts));
  for (const Variant& variant : SmugglingVariants()) {
    SCOPED_TRACE(variant.name);
    auto connection = server.Connect();
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection->WriteRaw(variant.request).ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(response->Header("Connection"), "close");
    auto rest = connection->ReadUntilClosed(1s);
    EXPECT_TRUE(rest.ok()) << "the connection stayed open: " << rest.status().ToString();
    EXPECT_EQ(rest.ok() ? *rest : "", "") << "a second answer came back";
  }
  EXPECT_EQ(counts.hidden.load(), 0);
  EXPECT_EQ(counts.in.load(), 0);
}

TEST(FramingTest, PlainChunkedAndContentLengthStillWork) {
  Counts counts;
  TestServer server(CountingRouter(counts));
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(
      connection
          ->WriteRaw("POST /in HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: Chunked\r\n"
                     "\r\n3\r\nabc\r\n0\r\n\r\n"
                     "POST /in HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc")
          .ok());
  for (int i = 0; i < 2; ++i) {
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->keep_alive);
  }
  EXPECT_EQ(counts.in.load(), 2);
}

}  // namespace
}  // namespace parley::http
