// Fuzzes the flow loader (JSON parser, validator, compiler) and, when a flow compiles, a
// short conversation through the engine. Any crash, sanitizer report or leak is a bug:
// flow files are untrusted input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flow/engine.hpp"
#include "flow/loader.hpp"

namespace {

const parley::flow::HandlerRegistry& Registry() {
  static const auto* registry = [] {
    auto* r = new parley::flow::HandlerRegistry();
    r->AddCondition("native_yes",
                    [](const parley::flow::HandlerContext& ctx) -> parley::Result<bool> {
                      return !ctx.event().text.empty();
                    });
    r->AddAction("native_note", [](parley::flow::ActionContext& ctx) {
      ctx.Set("note", parley::json::Value("seen"));
      return parley::Status::Ok();
    });
    return r;
  }();
  return *registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley::flow;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CompileOptions options;
  options.registry = &Registry();
  const CompileResult result = Compile(text, options);
  for (const Diagnostic& d : result.diagnostics) {
    (void)FormatDiagnostic(d, "fuzz.json");
  }
  if (!result.flow) {
    return 0;
  }
  const parley::TimePoint now = parley::FromUnixMillis(1795510800000);
  auto r = Step(*result.flow, Session{}, Event::Start(), now);
  const Event events[] = {Event::Message("yes"), Event::Message("120 mg/dl"),
                          Event::Timer("remind", 0), Event::Message("no"),
                          Event::Message("", {}, {"https://example.com/a.jpg"})};
  for (const Event& e : events) {
    if (!r.ok() || !r->session.active()) {
      break;
    }
    r = Step(*result.flow, r->session, e, now);
  }
  return 0;
}
