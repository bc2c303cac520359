// Benchmarks for the flow engine (issue targets in parentheses):
//  - one Step on the check-in flow, built-ins only (< 1 µs median)
//  - one Step through Lua handlers on the LIMA sample (< 5 µs median)
//  - Compile of a generated 100,000-state flow (< 300 ms, < 150 MB peak RSS)
// Results and the machine they ran on are recorded in docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/json_tape.hpp"
#include "flow/engine.hpp"
#include "flow/loader.hpp"
#include "script/lua_script.hpp"

namespace parley::flow {
namespace {

const TimePoint kNow = FromUnixMillis(1795510800000);

std::string ReadFile(const std::string& relative) {
  std::ifstream in(std::string(TEST_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + relative);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const Flow> MustCompile(const std::string& text, const CompileOptions& options) {
  auto r = Compile(text, options);
  if (!r.flow) {
    throw std::runtime_error("flow does not compile: " +
                             FormatDiagnostic(r.diagnostics.front(), "bench"));
  }
  return r.flow;
}

Session MustStep(const Flow& flow, const Session& s, const Event& e) {
  auto r = Step(flow, s, e, kNow);
  if (!r.ok()) {
    throw std::runtime_error(r.status().ToString());
  }
  return r->session;
}

// The check-in flow's session just before the reading: opted in, named, asked the daily
// question (its timer fired), answered yes.
struct CheckinFixture {
  std::shared_ptr<const Flow> flow = MustCompile(ReadFile("examples/checkin/checkin.json"), {});
  Session AtOptIn() const { return MustStep(*flow, Session{}, Event::Start()); }
  Session AtReading() const {
    Session s = MustStep(*flow, AtOptIn(), Event::Message("yes"));
    auto r = Step(*flow, s, Event::Message("Ana"), kNow);
    s = r->session;
    for (const auto& e : r->effects) {
      if (const auto* t = std::get_if<TimerSetEffect>(&e)) {
        s = MustStep(*flow, s, Event::Timer(t->name, t->step, t->keep));
        break;
      }
    }
    return MustStep(*flow, s, Event::Message("yes"));
  }
};

void BM_StepCheckinOptInYes(benchmark::State& state) {
  const CheckinFixture fx;
  const Session session = fx.AtOptIn();
  const Event event = Event::Message("Yes!");
  for (auto _ : state) {
    auto r = Step(*fx.flow, session, event, kNow);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StepCheckinOptInYes);

void BM_StepCheckinReading(benchmark::State& state) {
  const CheckinFixture fx;
  const Session session = fx.AtReading();
  const Event event = Event::Message("120 mg/dl");
  for (auto _ : state) {
    auto r = Step(*fx.flow, session, event, kNow);
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel("from " + session.state);
}
BENCHMARK(BM_StepCheckinReading);

void BM_StepLimaLua(benchmark::State& state) {
  CompileOptions options;
  options.default_script = "lima-sample.lua";
  options.load_script = [](std::string_view name, const EventLimits&) {
    return script::LoadLuaScript(ReadFile("examples/lima-sample/" + std::string(name)),
                                 std::string(name));
  };
  const auto flow = MustCompile(ReadFile("examples/lima-sample/lima-sample.json"), options);
  const Session session = MustStep(*flow, Session{}, Event::Start());
  const Event event = Event::Message("yes");  // Lua condition, then a Lua action
  for (auto _ : state) {
    auto r = Step(*flow, session, event, kNow);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StepLimaLua);

// A chain of `n` states. With `rich`, each has three edges (a reply, a number range, a
// timer) and three actions: 29.6 MB of JSON for 100,000 states. Without, one reply edge
// with a templated send and an `inc`: 14.2 MB.
std::string GenerateFlow(int n, bool rich = true) {
  std::string out = R"({"flow": "generated", "otherwise": {"send": "?"}, "states": [)";
  for (int i = 0; i < n; ++i) {
    const std::string next = std::to_string((i + 1) % n);
    out += (i ? ",\n" : "\n");
    out += R"({"name": "S)" + std::to_string(i) + R"(", "states": [)";
    out += R"({"name": "@S)" + next + R"(", "condition": {"reply": ["next", "siguiente"]},)";
    out += R"( "enter": [{"send": "Step {{n}}"}, {"inc": "n"}]})";
    if (!rich) {
      out += "]}";
      continue;
    }
    out += R"(,{"name": "@S0", "condition": {"number": {"gte": 54, "lt": 70}},)";
    out += R"( "enter": {"save": {"var": "v", "as": "number"}}},)";
    out += R"({"name": "@S)" + next + R"(", "condition": {"timer": "t"}})";
    out += "]}";
  }
  out += "]}";
  return out;
}

long ReadVmHwmKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// Returns freed heap to the kernel first, so that the peak is this iteration's own.
void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

// Args: states, edges per state (3 = rich, 1 = simple).
void BM_Compile100kStates(benchmark::State& state) {
  const std::string text = GenerateFlow(static_cast<int>(state.range(0)), state.range(1) == 3);
  long peak_kb = 0;
  for (auto _ : state) {
    ResetPeakRss();
    auto r = Compile(text, {});
    if (!r.flow) {
      state.SkipWithError("generated flow does not compile");
      break;
    }
    peak_kb = std::max(peak_kb, ReadVmHwmKb());
    benchmark::DoNotOptimize(r);
  }
  state.counters["peak_rss_MB"] = static_cast<double>(peak_kb) / 1024.0;
  state.counters["json_MB"] = static_cast<double>(text.size()) / (1024.0 * 1024.0);
}
BENCHMARK(BM_Compile100kStates)
    ->Args({100000, 3})
    ->Args({100000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// The JSON parse alone, to separate it from compiling: into the tape the loader compiles
// from, and into the DOM (json::Parse, which copies a tape).
void BM_ParseTape100kStates(benchmark::State& state) {
  const std::string text = GenerateFlow(static_cast<int>(state.range(0)));
  long peak_kb = 0;
  size_t tape_bytes = 0;
  for (auto _ : state) {
    ResetPeakRss();
    auto tape = json::Tape::Parse(text);
    peak_kb = std::max(peak_kb, ReadVmHwmKb());
    tape_bytes = tape.ok() ? tape->MemoryUsage() : 0;
    benchmark::DoNotOptimize(tape);
  }
  state.counters["peak_rss_MB"] = static_cast<double>(peak_kb) / 1024.0;
  state.counters["tape_MB"] = static_cast<double>(tape_bytes) / (1024.0 * 1024.0);
}
BENCHMARK(BM_ParseTape100kStates)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ParseJson100kStates(benchmark::State& state) {
  const std::string text = GenerateFlow(static_cast<int>(state.range(0)));
  long peak_kb = 0;
  for (auto _ : state) {
    ResetPeakRss();
    auto v = json::Parse(text);
    peak_kb = std::max(peak_kb, ReadVmHwmKb());
    benchmark::DoNotOptimize(v);
  }
  state.counters["peak_rss_MB"] = static_cast<double>(peak_kb) / 1024.0;
}
BENCHMARK(BM_ParseJson100kStates)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace parley::flow

BENCHMARK_MAIN();
