// The admin web tests' fixture: a real HTTP server on port 0 over the admin's routes, a
// migrated in-memory SQLite store, a ManualClock, and the conversation pipeline the contact
// page's actions go through (one flow, "finish"); login and form helpers.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "admin/accounts.hpp"
#include "admin/admin_test_support.hpp"
#include "admin/web/admin_web.hpp"
#include "admin/web/page.hpp"
#include "common/metrics.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/pipeline.hpp"
#include "conversation/service.hpp"
#include "flow/loader.hpp"
#include "http/testing/client.hpp"
#include "http/testing/test_server.hpp"
#include "twilio/form.hpp"

namespace parley::admin::testing {

inline constexpr char kOurNumber[] = "+15005550006";

// A flow that sends a question, sets a variable and a timer: what a contact page shows.
inline std::shared_ptr<const conversation::FlowCatalog> FinishFlowCatalog() {
  constexpr char kFinish[] = R"({
  "flow": "finish",
  "triggers": ["FINISH"],
  "states": [
    {"name": "ASK", "enter": [{"send": "One question: how are you?"}, {"set": {"topic": "<b>mood</b>"}},
                              {"timer": {"name": "nudge", "after": "1h"}}],
     "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Thanks, bye."}}]}
  ]
})";
  flow::CompileResult compiled = flow::Compile(kFinish);
  EXPECT_NE(compiled.flow, nullptr);
  auto catalog = conversation::FlowCatalog::Build({compiled.flow});
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? *catalog : nullptr;
}

inline conversation::ServiceOptions FinishServiceOptions() {
  conversation::ServiceOptions o;
  o.sms_from = kOurNumber;
  o.whatsapp_from = std::string("whatsapp:") + kOurNumber;
  return o;
}

}  // namespace parley::admin::testing

namespace parley::admin::web {

using http::testing::ClientResponse;
using http::testing::Headers;
using ::testing::HasSubstr;
using testing::kT0;
using ::testing::Not;

inline constexpr const char* kPassword = "s3cret-pass";

class AdminWebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_.Start();
    Start(false);
  }

  void Start(bool secure) {
    server_.reset();
    WebOptions options;
    options.secure_cookies = secure;
    options.apply_event = [this](conversation::Event e) { return pipeline_.Run(std::move(e)); };
    options.flow_ids = [] { return std::vector<std::string>{"finish"}; };
    options.flows = [this] { return catalog_; };
    options.reload_flows = [this] {
      ++reloads_;
      return reload_result_;
    };
    web_ = std::make_unique<AdminWeb>(*store_, auth_, clock_, options);
    http::Router router;
    web_->AddRoutes(router);
    // A page of a later session, behind the same guard: an operator's action.
    router.Add("POST", "/admin/test-action",
               web_->Guard(Role::kOperator, [](const http::Request&, const Principal& who) {
                 return Html(200, "done by " + who.email);
               }));
    server_ = std::make_unique<http::testing::TestServer>(std::move(router));
  }

  void User(const std::string& email, Role role) {
    ASSERT_OK(accounts_.CreateUser(email, role, kPassword, {"cli", ""}).status());
  }

  ClientResponse Get(const std::string& target, const std::string& cookie = "") {
    Headers h;
    if (!cookie.empty()) {
      h.emplace_back("Cookie", cookie);
    }
    auto r = http::testing::Send(http::testing::kHost, server_->port(), "GET", target, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ClientResponse{};
  }

  ClientResponse Post(const std::string& target, const twilio::Form& form,
                      const std::string& cookie = "") {
    Headers h{{"Content-Type", "application/x-www-form-urlencoded"}};
    if (!cookie.empty()) {
      h.emplace_back("Cookie", cookie);
    }
    auto r = http::testing::Send(http::testing::kHost, server_->port(), "POST", target, h,
                                 twilio::EncodeForm(form));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ClientResponse{};
  }

  // "name=value" of the response's Set-Cookie for `name`, or "".
  static std::string CookieFrom(const ClientResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.starts_with(name + "=")) {
        return v.substr(0, v.find(';'));
      }
    }
    return "";
  }
  static std::string SetCookieHeader(const ClientResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.starts_with(name + "=")) {
        return v;
      }
    }
    return "";
  }
  static std::string HiddenCsrf(const std::string& html) {
    std::smatch m;
    const std::regex re("name=\"csrf\" value=\"([0-9a-f]{64})\"");
    return std::regex_search(html, m, re) ? m[1].str() : "";
  }

  // Logs in through the form; the session cookie ("parley_admin=...").
  std::string Login(const std::string& email, const std::string& password = kPassword) {
    const ClientResponse form = Get("/admin/login");
    const std::string login_cookie = CookieFrom(form, "parley_admin_login");
    twilio::Form f;
    f.Add("csrf", HiddenCsrf(form.body));
    f.Add("email", email);
    f.Add("password", password);
    const ClientResponse r = Post("/admin/login", f, login_cookie);
    return CookieFrom(r, "parley_admin");
  }

  // The CSRF token of the session's pages.
  std::string PageCsrf(const std::string& cookie) { return HiddenCsrf(Get("/admin", cookie).body); }

  std::unique_ptr<store::Store> store_ = testing::MemoryStore();
  ManualClock clock_{kT0};
  // The conversation core the contact page's actions go through, with one flow.
  metrics::Registry registry_;
  std::shared_ptr<const conversation::FlowCatalog> catalog_ = testing::FinishFlowCatalog();
  conversation::Service service_{[this] { return catalog_; }, testing::FinishServiceOptions(),
                                 registry_};
  conversation::Pipeline pipeline_{*store_, service_, clock_, {}, registry_};
  Accounts accounts_{store_->admin(), clock_, PasswordCost::Minimum()};
  Auth auth_{store_->admin(), clock_, SessionOptions{}, PasswordCost::Minimum()};
  // What the flows page's reload answers (a stand-in for Runtime::ReloadFlows), and how many
  // times it was called.
  FlowReloadResult reload_result_;
  int reloads_ = 0;
  std::unique_ptr<AdminWeb> web_;
  std::unique_ptr<http::testing::TestServer> server_;
};

}  // namespace parley::admin::web
