// Fuzzes the Lua sandbox: any source text must load or fail cleanly, and calling what it
// defines must return a Status, never crash, hang or escape. Limits are small so that each
// input runs fast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/lua_script.hpp"

namespace {

using namespace parley;

class Context final : public flow::ActionContext {
 public:
  const flow::Event& event() const override { return event_; }
  std::string_view state() const override { return "A"; }
  std::string_view target() const override { return "B"; }
  TimePoint now() const override { return FromUnixMillis(1795510800000); }
  const json::Value& vars() const override { return vars_; }
  void Send(flow::SendEffect) override {}
  void Set(std::string_view n, json::Value v) override { vars_.Set(n, std::move(v)); }
  void Unset(std::string_view n) override { vars_.Erase(n); }
  Status Timer(const TimerRequest&) override { return Status::Ok(); }
  void Cancel(std::string_view) override {}
  void Finish() override {}

 private:
  flow::Event event_ = flow::Event::Message("yes", {}, {"https://example.com/a.jpg"});
  json::Value vars_ = json::Object{{"n", 1}};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  script::LuaLimits limits;
  limits.instructions_per_call = 20'000;
  limits.memory_bytes = size_t{4} << 20;
  limits.max_string_bytes = size_t{64} << 10;
  auto host = script::LoadLuaScript(source, "fuzz.lua", limits);
  if (!host.ok()) {
    return 0;
  }
  Context ctx;
  int calls = 0;
  for (const std::string& name : (*host)->FunctionNames()) {
    if (++calls > 4) {
      break;
    }
    (void)(*host)->EvalCondition(name, ctx);
    (void)(*host)->RunAction(name, ctx);
  }
  return 0;
}
