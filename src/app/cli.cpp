#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "app/commands.hpp"
#include "app/version.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace parley::app {

namespace {

constexpr const char* kExamples = R"(Examples:
  parley check flows/checkin.json           validate a flow (--strict: warnings fail too)
  parley chat flows/checkin.json            talk to a flow in the terminal
  parley test flows/checkin.json t/*.txt    run transcripts against it
  parley serve                              run the server (PARLEY_* keys: parley serve --help)
  parley start +15551234567 --flow checkin  start a conversation from here
  parley healthcheck                        exit 0 if the local server is ready

`parley COMMAND --help` explains a command; docs/ has the rest.)";

// "parley chekc": a first argument that is no option and no command is most likely a
// misspelt command; CLI11 alone would only say that a subcommand is required.
std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands(std::function<bool(const CLI::App*)>())) {
    names.push_back(sub->get_name());
  }
  return names;
}

int UnknownCommand(const std::vector<std::string>& names, const std::string& word) {
  const std::string closest = ClosestMatch(word, names);
  std::cerr << "parley: unknown command '" << word << "'"
            << (closest.empty() ? "" : " (did you mean '" + closest + "'?)")
            << "\nRun parley --help for the commands.\n";
  return kExitUsage;
}

}  // namespace

int RunCli(int argc, char** argv) {
  // Named here, not from argv[0]: usage lines say `parley`, not the path it was run by.
  CLI::App app{"parley: stateful SMS and WhatsApp conversations", "parley"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "parley " + std::string(kVersion));
  // Options a subcommand does not know go up to this app, so `parley serve --log-level
  // debug` works as well as `parley --log-level debug serve`.
  app.fallthrough();
  // The flag wins over PARLEY_LOG_LEVEL and .env: it is put in the environment, which every
  // command's configuration reads first (app/config.hpp), before any command runs.
  app.add_option_function<std::string>(
         "--log-level",
         [](const std::string& level) {
           ::setenv("PARLEY_LOG_LEVEL", level.c_str(), 1);
           SetLogLevel(level == "debug"   ? LogLevel::kDebug
                       : level == "warn"  ? LogLevel::kWarning
                       : level == "error" ? LogLevel::kError
                                          : LogLevel::kInfo);
         },
         "the least severe log level written: debug, info, warn or error (PARLEY_LOG_LEVEL)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  int exit_code = kExitOk;
  AddCheckCommand(app, exit_code);
  AddChatCommand(app, exit_code);
  AddTestCommand(app, exit_code);
  AddGraphCommand(app, exit_code);
  AddServeCommand(app, exit_code);
  AddMigrateCommand(app, exit_code);
  AddStartCommand(app, exit_code);
  AddAdminCommand(app, exit_code);
  AddImportLimaCommand(app, exit_code);
  AddScaffoldCommand(app, exit_code);
  AddHealthcheckCommand(app, exit_code);
  app.footer(kExamples);  // after the subcommands: they would inherit it
  if (const auto names = CommandNames(app);
      argc > 1 && argv[1][0] != '-' &&
      std::find(names.begin(), names.end(), argv[1]) == names.end()) {
    return UnknownCommand(names, argv[1]);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace parley::app
