#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/detail/host.hpp"
#include "http/testing/client.hpp"
#include "http/testing/test_server.hpp"

namespace parley::http {
namespace {

using testing::Connection;
using testing::Eventually;
using ::testing::HasSubstr;
using testing::Headers;
using testing::kHost;
using ::testing::Not;
using testing::Send;
using testing::TestServer;
using namespace std::chrono_literals;

Router HelloRouter() {
  Router router;
  router.Add("GET", "/hello", [](const Request&) { return Response::Text(200, "hello"); });
  router.Add("POST", "/hello", [](const Request&) { return Response::Text(201, "made"); });
  router.Add("POST", "/echo", [](const Request& r) {
    Response response =
        Response::Text(200, r.method + "|" + r.path + "|" + r.query + "|" + r.body + "|" +
                                std::string(r.Header("x-thing")) + "|" + r.request_id);
    response.content_type = "application/x-test";
    response.headers.emplace_back("X-Extra", "yes");
    return response;
  });
  router.Add("GET", "/remote", [](const Request& r) { return Response::Text(200, r.remote); });
  router.Add("GET", "/empty", [](const Request&) { return Response::Text(204, ""); });
  return router;
}

bool IsRequestId(std::string_view id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(HostAllowListTest, MatchesLikeDjango) {
  detail::HostAllowList list({"localhost", "127.0.0.1", "[::1]", ".Example.com", "exact.org."});
  EXPECT_TRUE(list.Allows("localhost"));
  EXPECT_TRUE(list.Allows("LocalHost:8080"));
  EXPECT_TRUE(list.Allows("127.0.0.1:1"));
  EXPECT_TRUE(list.Allows("[::1]"));
  EXPECT_TRUE(list.Allows("[::1]:8000"));
  EXPECT_TRUE(list.Allows("example.com"));
  EXPECT_TRUE(list.Allows("api.example.com"));
  EXPECT_TRUE(list.Allows("a.b.EXAMPLE.com:443"));
  EXPECT_TRUE(list.Allows("example.com."));
  EXPECT_TRUE(list.Allows("exact.org"));
  EXPECT_FALSE(list.Allows("badexample.com"));
  EXPECT_FALSE(list.Allows("sub.exact.org"));
  EXPECT_FALSE(list.Allows("evil.com"));
  EXPECT_FALSE(list.Allows(""));
  EXPECT_FALSE(list.Allows("localhost:http"));
  EXPECT_FALSE(list.Allows("local host"));
  EXPECT_FALSE(list.Allows("[::1"));
  EXPECT_FALSE(list.Allows("[::2]"));
  EXPECT_FALSE(list.Allows("[zz]"));

  detail::HostAllowList any({"*"});
  EXPECT_TRUE(any.Allows("whatever.example:99"));
  EXPECT_FALSE(any.Allows("bad/host"));
}

TEST(RouterTest, DispatchesExactPathsAndReportsAllow) {
  Router router = HelloRouter();
  Request request;
  request.method = "GET";
  request.path = "/hello";
  EXPECT_EQ(router.Dispatch(request).body, "hello");
  request.path = "/hello/";
  EXPECT_EQ(router.Dispatch(request).status, 404);
  request.path = "/hello";
  request.method = "PUT";
  Response response = router.Dispatch(request);
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].second, "GET, HEAD, POST");
  EXPECT_TRUE(router.HasPath("/hello"));
  EXPECT_FALSE(router.HasPath("/nope"));
}

// Issue 11: path parameters. "{id}" takes one non-empty segment; an exact route wins over
// a parameterised one for the same path; the route path (not the request's) is what
// metrics see; 405 lists the methods of every matching route.
TEST(RouterTest, PathParametersMatchOneSegment) {
  Router router;
  router.Add("GET", "/c/{id}", [](const Request& r) {
    return Response::Text(200, "id=" + std::string(r.PathParam("id")));
  });
  router.Add("GET", "/c/new", [](const Request&) { return Response::Text(200, "new"); });
  router.Add("POST", "/c/{id}/{action}", [](const Request& r) {
    return Response::Text(
        200, std::string(r.PathParam("id")) + ":" + std::string(r.PathParam("action")));
  });
  Request request;
  request.method = "GET";
  request.path = "/c/42";
  EXPECT_EQ(router.Dispatch(request).body, "id=42");
  request.path = "/c/new";
  EXPECT_EQ(router.Dispatch(request).body, "new");
  for (const char* path : {"/c/", "/c", "/c/42/", "/c//", "/x/42", "/c/42/x/y"}) {
    request.path = path;
    EXPECT_EQ(router.Dispatch(request).status, 404) << path;
  }
  request.method = "POST";
  request.path = "/c/7/end";
  EXPECT_EQ(router.Dispatch(request).body, "7:end");
  request.method = "HEAD";
  request.path = "/c/9";
  EXPECT_EQ(router.Dispatch(request).body, "id=9");  // the server drops the body
  request.method = "DELETE";
  Response refused = router.Dispatch(request);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(router.RoutePath("/c/9"), "/c/{id}");
  EXPECT_EQ(router.RoutePath("/c/new"), "/c/new");
  EXPECT_EQ(router.RoutePath("/c/9/end"), "/c/{id}/{action}");
  EXPECT_EQ(router.RoutePath("/nope"), "");
}

TEST(ServerTest, RoutesAndStandardHeaders) {
  TestServer server(HelloRouter());
  auto response = server.Get("/hello");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("Server"), "parley");
  EXPECT_EQ(response->Header("Content-Length"), "5");
  EXPECT_EQ(response->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(IsRequestId(response->Header("X-Request-Id"))) << response->Header("X-Request-Id");

  auto created = Send(kHost, server.port(), "POST", "/hello", {}, "x");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201);

  auto empty = server.Get("/empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->Header("Content-Length"), "");
}

TEST(ServerTest, NotFoundAndMethodNotAllowed) {
  TestServer server(HelloRouter());
  auto missing = server.Get("/nope?secret=1");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->Header("Server"), "parley");

  auto wrong = Send(kHost, server.port(), "DELETE", "/hello");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("Allow"), "GET, HEAD, POST");
  EXPECT_TRUE(wrong->keep_alive);
}

TEST(ServerTest, HandlerSeesTheRequest) {
  TestServer server(HelloRouter());
  auto response = Send(kHost, server.port(), "POST", "/echo?a=1&b=2", {{"X-Thing", "42"}}, "body!");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Content-Type"), "application/x-test");
  EXPECT_EQ(response->Header("X-Extra"), "yes");
  std::string id(response->Header("X-Request-Id"));
  EXPECT_EQ(response->body, "POST|/echo|a=1&b=2|body!|42|" + id);
}

TEST(ServerTest, OversizedBodyGets413AndHandlerIsNotCalled) {
  std::atomic<int> calls{0};
  Router router;
  router.Add("POST", "/in", [&](const Request&) {
    ++calls;
    return Response::Text(200, "ok");
  });
  ServerOptions options;
  options.max_body_bytes = 1024;
  TestServer server(std::move(router), options);

  auto fits = Send(kHost, server.port(), "POST", "/in", {}, std::string(1024, 'a'));
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(calls.load(), 1);

  auto big = Send(kHost, server.port(), "POST", "/in", {}, std::string(200 * 1024, 'a'));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);
  EXPECT_FALSE(big->keep_alive);

  // Chunked: the limit applies as the chunks arrive.
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  std::string chunked =
      "POST /in HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "800\r\n" +
      std::string(0x800, 'b') + "\r\n0\r\n\r\n";
  ASSERT_TRUE(connection->WriteRaw(chunked).ok());
  auto chunked_response = connection->ReadResponse();
  ASSERT_TRUE(chunked_response.ok()) << chunked_response.status().ToString();
  EXPECT_EQ(chunked_response->status, 413);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ServerTest, OversizedHeaderGets431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  TestServer server(HelloRouter(), options);
  auto response = server.Get("/hello", {{"X-Big", std::string(4000, 'x')}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 431);
}

TEST(ServerTest, MalformedRequestGets400) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection->WriteRaw("GET /hello HTTP/1.1\r\nBad Header Line\r\n\r\n").ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(connection->ReadUntilClosed().ok());
}

TEST(ServerTest, DisallowedHostGets400) {
  ServerOptions options;
  options.allowed_hosts = {"localhost", "127.0.0.1", ".example.com"};
  TestServer server(HelloRouter(), options);
  auto evil = server.Get("/hello", {{"Host", "evil.example.org"}});
  ASSERT_TRUE(evil.ok());
  EXPECT_EQ(evil->status, 400);
  EXPECT_EQ(evil->body, "Bad Request: host not allowed\n");

  auto sub = server.Get("/hello", {{"Host", "Api.Example.com:8443"}});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->status, 200);
}

TEST(ServerTest, MissingHostGets400OnHttp11Only) {
  TestServer server(HelloRouter());
  {
    auto connection = server.Connect();
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection->WriteRaw("GET /hello HTTP/1.1\r\n\r\n").ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 400);
  }
  {
    auto connection = server.Connect();
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection->WriteRaw("GET /hello HTTP/1.0\r\n\r\n").ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("Connection"), "close");
    EXPECT_TRUE(connection->ReadUntilClosed().ok());
  }
}

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto response = connection->Send("GET", "/remote");
    ASSERT_TRUE(response.ok()) << i << ": " << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, connection->local_address());
    EXPECT_TRUE(response->keep_alive);
    ids.emplace_back(response->Header("X-Request-Id"));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "request ids repeat";
}

TEST(ServerTest, Http10KeepAliveIsHonoured) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(connection->WriteRaw("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("Connection"), "keep-alive");
  }
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection
                  ->WriteRaw("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
                             "GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n")
                  .ok());
  auto first = connection->ReadResponse();
  auto second = connection->ReadResponse();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 404);
}

TEST(ServerTest, ExpectContinueGets100BeforeTheBody) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection
                  ->WriteRaw("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
                             "Expect: 100-continue\r\n\r\n")
                  .ok());
  auto interim = connection->ReadResponse();
  ASSERT_TRUE(interim.ok()) << interim.status().ToString();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection->WriteRaw("abcd").ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr("|abcd|"));
}

TEST(ServerTest, ConnectionCloseIsHonoured) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  auto response = connection->Send("GET", "/hello", {{"Connection", "close"}});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_FALSE(response->keep_alive);
  auto rest = connection->ReadUntilClosed(1s);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(*rest, "");
}

TEST(ServerTest, HeaderTimeoutClosesAnUnfinishedRequest) {
  ServerOptions options;
  options.header_timeout = 200ms;
  TestServer server(HelloRouter(), options);
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(connection->WriteRaw("GET /hello HTTP/1.1\r\nHost: loc").ok());
  auto rest = connection->ReadUntilClosed(3s);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);

  // A connection that never sends anything is closed after header_timeout too.
  auto silent = server.Connect();
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(silent->ReadUntilClosed(3s).ok());
}

TEST(ServerTest, IdleTimeoutClosesKeepAliveConnection) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  TestServer server(HelloRouter(), options);
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  auto response = connection->Send("GET", "/hello");
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->keep_alive);
  auto start = std::chrono::steady_clock::now();
  auto rest = connection->ReadUntilClosed(3s);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(ServerTest, ThrowingHandlerGets500AndServerKeepsServing) {
  Router router = HelloRouter();
  router.Add("GET", "/boom",
             [](const Request&) -> Response { throw std::runtime_error("database on fire"); });
  TestServer server(std::move(router));
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  auto response = connection->Send("GET", "/boom");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, "Internal Server Error\n");
  EXPECT_FALSE(response->keep_alive);
  EXPECT_TRUE(connection->ReadUntilClosed(1s).ok());

  auto after = server.Get("/hello");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);

  std::string id(response->Header("X-Request-Id"));
  auto errors = server.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("database on fire"));
  EXPECT_THAT(errors[0], HasSubstr(id));
}

TEST(ServerTest, ManyConcurrentClientsAreAllAnswered) {
  std::atomic<int> calls{0};
  Router router;
  router.Add("POST", "/count", [&](const Request& r) {
    ++calls;
    return Response::Text(200, r.body);
  });
  TestServer server(std::move(router));
  constexpr int kClients = 50;
  constexpr int kRequests = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      // Half the requests on one keep-alive connection, half on connections of their own.
      auto connection = Connection::Open(kHost, server.port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(c) + "/" + std::to_string(i);
        Result<testing::ClientResponse> response =
            (i % 2 == 0 && connection.ok())
                ? connection->Send("POST", "/count", {}, body)
                : Send(kHost, server.port(), "POST", "/count", {}, body);
        if (response.ok() && response->status == 200 && response->body == body) {
          ++ok;
        }
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(calls.load(), kClients * kRequests);
}

TEST(ServerTest, GracefulStopLetsInFlightRequestFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router = HelloRouter();
  router.Add("GET", "/slow", [&](const Request&) {
    entered.set_value();
    released.wait();
    return Response::Text(200, "slow done");
  });
  TestServer server(std::move(router));
  const uint16_t port = server.port();

  auto idle = server.Connect();  // an idle keep-alive connection
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle->Send("GET", "/hello").ok());

  auto in_flight =
      std::async(std::launch::async, [port] { return Send(kHost, port, "GET", "/slow"); });
  entered.get_future().wait();

  auto stopped = std::async(std::launch::async, [&] { server.server().Stop(5s); });
  // New connections are refused once the acceptor closes.
  EXPECT_TRUE(Eventually([&] { return !Connection::Open(kHost, port, 200ms).ok(); }));
  // The idle keep-alive connection is closed without waiting for the grace period.
  EXPECT_TRUE(idle->ReadUntilClosed(2s).ok());
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout) << "Stop did not wait";

  release.set_value();
  auto response = in_flight.get();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow done");
  EXPECT_EQ(response->Header("Connection"), "close");
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  server.server().Wait();
  server.server().Stop();  // idempotent
}

TEST(ServerTest, StopClosesUnfinishedRequestsAfterGrace) {
  TestServer server(HelloRouter());
  auto connection = server.Connect();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection->WriteRaw("POST /echo HTTP/1.1\r\nHost: localhost\r\n").ok());
  std::this_thread::sleep_for(50ms);  // let the server start reading the header
  auto start = std::chrono::steady_clock::now();
  server.server().Stop(200ms);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_TRUE(connection->ReadUntilClosed(1s).ok());
}

TEST(ServerTest, StartStopAndWaitLifecycle) {
  Server never_started(ServerOptions{}, Router{});
  never_started.Stop();
  never_started.Wait();

  ServerOptions options;
  options.port = 0;
  Server server(options, HelloRouter());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(server.port(), 0);

  ServerOptions clash;
  clash.port = server.port();
  Server second(clash, HelloRouter());
  Status status = second.Start();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();

  std::thread waiter([&] { server.Wait(); });
  std::thread stopper1([&] { server.Stop(); });
  std::thread stopper2([&] { server.Stop(); });
  stopper1.join();
  stopper2.join();
  waiter.join();
}

TEST(ServerTest, AccessLogHasRequestIdAndNoQueryOrBody) {
  TestServer server(HelloRouter());
  auto response =
      Send(kHost, server.port(), "POST", "/echo?From=%2B15551234567", {}, "Body=secret-text");
  ASSERT_TRUE(response.ok());
  auto missing = server.Get("/nope");
  ASSERT_TRUE(missing.ok());
  ASSERT_TRUE(Eventually([&] { return server.access().size() == 2; }));

  auto lines = server.access();
  std::string id(response->Header("X-Request-Id"));
  EXPECT_THAT(lines[0], HasSubstr("req=" + id + " "));
  EXPECT_THAT(lines[0], HasSubstr(" POST /echo 200 "));
  EXPECT_THAT(lines[0], HasSubstr("remote=127.0.0.1:"));
  EXPECT_THAT(lines[0], HasSubstr("ms in="));
  EXPECT_THAT(lines[0], HasSubstr(" out="));
  EXPECT_THAT(lines[0], Not(HasSubstr("1555")));
  EXPECT_THAT(lines[0], Not(HasSubstr("secret")));
  EXPECT_THAT(lines[0], Not(HasSubstr("?")));
  EXPECT_THAT(lines[1], HasSubstr(" GET /nope 404 "));

  EXPECT_THAT(server.observed(), ::testing::ElementsAre("/echo 200", " 404"));
}

// Async handlers: the answer comes later from another thread, and no worker waits for it.
TEST(ServerTest, AsyncHandlerAnswersFromAnotherThreadWithoutHoldingAWorker) {
  std::mutex mu;
  std::vector<Responder> parked;  // answered later, by the test thread
  Router router;
  router.AddAsync("GET", "/later", [&](const Request& r, Responder respond) {
    std::lock_guard lock(mu);
    (void)r;
    parked.push_back(std::move(respond));
  });
  router.Add("GET", "/now", [](const Request&) { return Response::Text(200, "now"); });
  ServerOptions options;
  options.threads = 1;  // one worker: parked requests must not hold it
  TestServer server(std::move(router), options);

  constexpr int kParked = 3;
  std::vector<std::thread> clients;
  std::vector<Result<testing::ClientResponse>> answers(kParked, Status::Internal("none"));
  for (int i = 0; i < kParked; ++i) {
    clients.emplace_back([&, i] { answers[i] = server.Get("/later"); });
  }
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return parked.size() == kParked;
  }));
  auto now = server.Get("/now");  // the one worker is free
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->body, "now");
  {
    std::lock_guard lock(mu);
    parked[0](Response::Text(202, "first"));
    parked[0](Response::Text(200, "ignored: a second answer"));
    parked[1](Response::Text(200, "second"));
    parked.pop_back();  // the last copy dropped without an answer: 500
  }
  for (auto& c : clients) {
    c.join();
  }
  std::vector<int> statuses;
  for (const auto& a : answers) {
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    statuses.push_back(a->status);
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_THAT(statuses, ::testing::ElementsAre(200, 202, 500));
}

}  // namespace
}  // namespace parley::http
