#include "app/commands.hpp"

#include <iostream>

namespace parley::app {

int RunCli(int argc, char** argv) {
  CLI::App app{"parley: stateful SMS and WhatsApp conversations"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "parley 0.1.0");
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
