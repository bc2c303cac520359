// parley admin create-user EMAIL --role admin|operator|viewer [--env FILE]
// parley admin reset-password EMAIL [--env FILE]
// parley admin disable EMAIL [--env FILE]
//
// Manages the admin console's users (docs/admin.md). The password is read from the
// terminal without echo (asked twice), or, when stdin is not a terminal, from its first
// line; never from the command line, where `ps` and the shell history would show it.
// Exit codes: 0 done, 1 failed (the email is taken, no such user, database), 2 usage (a bad
// email, role or password).
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "admin/accounts.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "store/store.hpp"

namespace parley::app {

namespace {

struct AdminOptions {
  std::string email;
  std::string role;
  std::string env_file;
};

// One line from stdin without its line ending; with `echo` off on a terminal.
std::string ReadLine(bool terminal, const char* prompt) {
  termios saved{};
  if (terminal) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

Result<std::string> ReadPassword() {
  const bool terminal = isatty(STDIN_FILENO) != 0;
  std::string password = ReadLine(terminal, "Password: ");
  if (terminal && ReadLine(true, "Repeat the password: ") != password) {
    return Status::InvalidArgument("the passwords do not match");
  }
  PARLEY_RETURN_IF_ERROR(admin::CheckPasswordRules(password));
  return password;
}

// The configured store, migrated to this binary's schema (else an error saying to run
// `parley migrate`: the admin commands do not change the schema behind the operator's back).
Result<std::unique_ptr<store::Store>> OpenAdminStore(const std::string& env_file) {
  auto config = LoadCommandConfig(env_file);
  if (!config.ok()) {
    return config.status();
  }
  auto store = store::OpenStore(config->database_url);
  if (!store.ok()) {
    return store.status();
  }
  auto version = (*store)->SchemaVersion();
  if (!version.ok()) {
    return version.status();
  }
  if (*version < (*store)->LatestSchemaVersion()) {
    return Status::FailedPrecondition(
        "the database schema is version " + std::to_string(*version) + ", this parley needs " +
        std::to_string((*store)->LatestSchemaVersion()) + ": run `parley migrate` first");
  }
  return std::move(*store);
}

int Fail(std::string_view command, const Status& s) {
  std::cerr << "parley admin " << command << ": " << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// Runs `action` on the opened store's accounts, reporting as `command`.
template <typename Action>
int WithAccounts(std::string_view command, const AdminOptions& o, Action action) {
  auto store = OpenAdminStore(o.env_file);
  if (!store.ok()) {
    return Fail(command, store.status());
  }
  SystemClock clock;
  admin::Accounts accounts((*store)->admin(), clock, admin::PasswordCost::Interactive());
  const Status s = action(accounts, admin::Actor{"cli", ""});
  return s.ok() ? kExitOk : Fail(command, s);
}

int CreateUser(const AdminOptions& o) {
  const auto role = admin::ParseRole(o.role);
  if (!role) {  // CLI11 checks it too; kept for callers that bypass it
    return Fail("create-user", Status::InvalidArgument("--role must be admin, operator or viewer"));
  }
  return WithAccounts("create-user", o, [&](admin::Accounts& accounts, const admin::Actor& cli) {
    auto password = ReadPassword();
    if (!password.ok()) {
      return password.status();
    }
    auto user = accounts.CreateUser(o.email, *role, *password, cli);
    if (!user.ok()) {
      return user.status();
    }
    std::cout << "created " << user->role << " " << user->email << "\n";
    return Status::Ok();
  });
}

int ResetPassword(const AdminOptions& o) {
  return WithAccounts("reset-password", o, [&](admin::Accounts& accounts, const admin::Actor& cli) {
    auto password = ReadPassword();
    if (!password.ok()) {
      return password.status();
    }
    PARLEY_RETURN_IF_ERROR(accounts.ResetPassword(o.email, *password, cli));
    std::cout << "password reset for " << o.email << "; their sessions have ended\n";
    return Status::Ok();
  });
}

int Disable(const AdminOptions& o) {
  return WithAccounts("disable", o, [&](admin::Accounts& accounts, const admin::Actor& cli) {
    PARLEY_RETURN_IF_ERROR(accounts.Disable(o.email, cli));
    std::cout << "disabled " << o.email << "; their sessions have ended\n";
    return Status::Ok();
  });
}

}  // namespace

void AddAdminCommand(CLI::App& app, int& exit_code) {
  CLI::App* admin = app.add_subcommand("admin", "Manage the admin console's users");
  admin->require_subcommand(1);
  const auto add = [&](const char* name, const char* help, int (*run)(const AdminOptions&),
                       bool with_role) {
    auto options = std::make_shared<AdminOptions>();
    CLI::App* cmd = admin->add_subcommand(name, help);
    cmd->add_option("EMAIL", options->email, "the user's email (their login)")->required();
    if (with_role) {
      cmd->add_option("--role", options->role, "admin, operator or viewer")
          ->required()
          ->check(CLI::IsMember({"admin", "operator", "viewer"}));
    }
    cmd->add_option("--env", options->env_file,
                    "the .env file to read; it must exist (default: .env, if present)");
    cmd->callback([options, run, &exit_code] { exit_code = run(*options); });
  };
  add("create-user", "Create a user; the password is read from the terminal or stdin", CreateUser,
      true);
  add("reset-password", "Set a user's password (read from the terminal or stdin)", ResetPassword,
      false);
  add("disable", "Disable a user and end their sessions", Disable, false);
}

}  // namespace parley::app
