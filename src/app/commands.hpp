// The `parley` subcommands. Each registers itself on the CLI11 app and returns the exit
// code through `exit_code`: 0 ok, 1 failure (invalid flow, failed transcript), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

void AddCheckCommand(CLI::App& app, int& exit_code);
void AddChatCommand(CLI::App& app, int& exit_code);
void AddTestCommand(CLI::App& app, int& exit_code);
void AddGraphCommand(CLI::App& app, int& exit_code);
void AddServeCommand(CLI::App& app, int& exit_code);
void AddMigrateCommand(CLI::App& app, int& exit_code);
void AddStartCommand(CLI::App& app, int& exit_code);
void AddAdminCommand(CLI::App& app, int& exit_code);
void AddImportLimaCommand(CLI::App& app, int& exit_code);
void AddScaffoldCommand(CLI::App& app, int& exit_code);
void AddHealthcheckCommand(CLI::App& app, int& exit_code);

// Runs the CLI; what main() calls.
int RunCli(int argc, char** argv);

}  // namespace parley::app
