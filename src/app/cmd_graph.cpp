// parley graph FLOW [--svg]
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/commands.hpp"
#include "app/flow_files.hpp"
#include "flow/graph_dot.hpp"

namespace parley::app {

namespace {

bool DotInstalled() {
  return std::system("command -v dot >/dev/null 2>&1") == 0;  // NOLINT(cert-env33-c)
}

int RunGraph(const std::string& path, bool svg) {
  const LoadedFlow loaded = LoadFlowFile(path);
  if (!loaded.result.flow) {
    PrintDiagnostics(loaded, std::cerr);
    return kExitFailure;
  }
  const std::string dot = flow::ToDot(*loaded.result.flow);
  if (!svg) {
    std::cout << dot;
    return kExitOk;
  }
  if (!DotInstalled()) {
    std::cerr << "parley graph --svg needs Graphviz's 'dot' on PATH (apt-get install graphviz)\n";
    return kExitFailure;
  }
  std::cout.flush();
  FILE* pipe = popen("dot -Tsvg", "w");
  if (pipe == nullptr) {
    std::cerr << "cannot run dot\n";
    return kExitFailure;
  }
  std::fwrite(dot.data(), 1, dot.size(), pipe);
  return pclose(pipe) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void AddGraphCommand(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  auto svg = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("graph", "Print the flow as Graphviz DOT (or SVG)");
  cmd->add_option("FLOW", *path, "Flow file")->required();
  cmd->add_flag("--svg", *svg, "Render SVG with Graphviz's dot");
  cmd->callback([path, svg, &exit_code] { exit_code = RunGraph(*path, *svg); });
}

}  // namespace parley::app
