// Test doubles shared by the Lua script tests: an ActionContext that records what a
// handler asks for, a loader that fails the test on error, and a message event.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "flow/handlers.hpp"
#include "script/lua_script.hpp"

namespace parley::script::testing {

// Records what an action asks for, as the engine's StepContext would.
class FakeContext final : public flow::ActionContext {
 public:
  explicit FakeContext(flow::Event e) : event_(std::move(e)) {}
  const flow::Event& event() const override { return event_; }
  std::string_view state() const override { return "ASK"; }
  std::string_view target() const override { return target_; }
  TimePoint now() const override { return FromUnixMillis(1795510800123); }
  const json::Value& vars() const override { return vars_; }
  void Send(flow::SendEffect m) override {
    log.push_back("send " + m.text);
    sends.push_back(m);
  }
  void Set(std::string_view n, json::Value v) override {
    log.push_back("set " + std::string(n) + "=" + json::Serialize(v));
    vars_.Set(n, std::move(v));
  }
  void Unset(std::string_view n) override {
    log.push_back("unset " + std::string(n));
    vars_.Erase(n);
  }
  Status Timer(const TimerRequest& r) override {
    if (r.after == "bad") {
      return Status::InvalidArgument("bad duration 'bad'");
    }
    log.push_back("timer " + r.name + " " + r.after + r.at + (r.tz.empty() ? "" : " " + r.tz) +
                  (r.keep ? " keep" : ""));
    return Status::Ok();
  }
  void Cancel(std::string_view n) override { log.push_back("cancel " + std::string(n)); }
  void Finish() override { log.push_back("finish"); }

  std::vector<std::string> log;
  std::vector<flow::SendEffect> sends;
  json::Value vars_ = json::Object{{"name", "Ana"}, {"n", 2}};
  std::string target_ = "NEXT";

 private:
  flow::Event event_;
};

inline std::shared_ptr<const flow::ScriptHost> Load(std::string_view source,
                                                    LuaLimits limits = {}) {
  auto r = LoadLuaScript(source, "test.lua", limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

inline flow::Event Message(std::string text) {
  flow::Contact c;
  c.phone = "+15550001111";
  c.name = "Ana";
  c.time_zone = "America/Lima";
  c.fields = {{"plan", "gold"}};
  return flow::Event::Message(std::move(text), c, {"https://x/1.jpg", "https://x/2.jpg"});
}

// The message of a failed call, for EXPECT_THAT.
inline std::string Error(const Result<bool>& r) { return r.ok() ? "(ok)" : r.status().ToString(); }
inline std::string Error(const Status& s) { return s.ToString(); }

}  // namespace parley::script::testing
