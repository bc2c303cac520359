// parley test FLOW TRANSCRIPT… [--coverage] [--require-full-coverage]
#include <filesystem>
#include <iostream>
#include <set>

#include "app/commands.hpp"
#include "app/flow_files.hpp"
#include "app/offline_server_rules.hpp"
#include "flow/transcript.hpp"

namespace parley::app {

namespace {

// Every line of `text` indented by two spaces, so that multi-line mismatches stay aligned.
std::string Indent(const std::string& text) {
  std::string out = "  ";
  for (const char c : text) {
    out += c;
    if (c == '\n') {
      out += "  ";
    }
  }
  return out;
}

struct TestOptions {
  std::string flow;
  std::vector<std::string> transcripts;
  bool coverage = false;
  bool require_full = false;
};

int RunTest(const TestOptions& opts) {
  const LoadedFlow loaded = LoadFlowFile(opts.flow);
  if (!loaded.result.flow) {
    PrintDiagnostics(loaded, std::cerr);
    std::cerr << opts.flow << ": invalid flow, no transcript was run\n";
    return kExitFailure;
  }
  const auto& compiled = loaded.result.flow;
  size_t passed = 0;
  std::set<std::string> covered;
  for (const std::string& path : opts.transcripts) {
    const std::string name = std::filesystem::path(path).filename().string();
    auto text = ReadFile(path);
    if (!text.ok()) {
      std::cout << "FAIL " << name << "\n" << Indent(text.status().message()) << "\n";
      continue;
    }
    auto transcript = flow::ParseTranscript(*text, name);
    if (!transcript.ok()) {
      std::cout << "FAIL " << name << "\n" << Indent(transcript.status().message()) << "\n";
      continue;
    }
    const flow::TranscriptOutcome outcome =
        flow::RunTranscript(*transcript, compiled, ServerComplianceRules());
    covered.insert(outcome.covered_edges.begin(), outcome.covered_edges.end());
    if (outcome.passed) {
      ++passed;
      std::cout << "PASS " << name << "\n";
    } else {
      std::cout << "FAIL " << name << "\n" << Indent(outcome.failure) << "\n";
    }
  }
  size_t untaken = 0;
  size_t edges = 0;
  if (opts.coverage || opts.require_full) {
    for (const auto& state : compiled->states) {
      for (const auto& edge : state.edges) {
        ++edges;
        if (!covered.contains(edge.path)) {
          if (untaken++ == 0) {
            std::cout << "edges never taken:\n";
          }
          std::cout << "  " << edge.path << " (line " << edge.pos.line << "): " << state.name
                    << " -> " << compiled->states[edge.target].name << "\n";
        }
      }
    }
    std::cout << "coverage: " << (edges - untaken) << "/" << edges << " edges\n";
  }
  std::cout << passed << "/" << opts.transcripts.size() << " transcripts passed\n";
  const bool ok = passed == opts.transcripts.size() && (!opts.require_full || untaken == 0);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

void AddTestCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<TestOptions>();
  CLI::App* cmd = app.add_subcommand("test", "Run transcript tests against a flow");
  cmd->add_option("FLOW", opts->flow, "Flow file")->required();
  cmd->add_option("TRANSCRIPT", opts->transcripts, "Transcript files (docs/testing-flows.md)")
      ->required();
  cmd->add_flag("--coverage", opts->coverage, "List the edges no transcript took");
  cmd->add_flag("--require-full-coverage", opts->require_full,
                "Fail unless the transcripts together take every edge");
  cmd->callback([opts, &exit_code] { exit_code = RunTest(*opts); });
}

}  // namespace parley::app
