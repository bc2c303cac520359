#include "lima/pickle_whitelist.hpp"

#include <array>

namespace parley::lima {

namespace {

struct GlobalName {
  std::string_view module;
  std::string_view name;
  Callable callable;
};

// pysm 0.3.9's classes and what pickling them involves. Nothing else may be called.
constexpr std::array<GlobalName, 13> kWhitelist{{
    {"pysm.pysm", "StateMachine", Callable::kPysmClass},
    {"pysm.pysm", "State", Callable::kPysmClass},
    {"pysm.pysm", "Event", Callable::kPysmClass},
    {"pysm.pysm", "Stack", Callable::kPysmClass},
    {"pysm.pysm", "TransitionsContainer", Callable::kPysmClass},
    {"builtins", "set", Callable::kSet},
    {"builtins", "frozenset", Callable::kFrozenSet},
    {"builtins", "getattr", Callable::kGetattr},
    {"builtins", "list", Callable::kNotCallable},  // defaultdict(list)'s factory
    {"collections", "deque", Callable::kDeque},
    {"collections", "defaultdict", Callable::kDefaultDict},
    {"collections", "OrderedDict", Callable::kOrderedDict},
    {"copyreg", "_reconstructor", Callable::kReconstructor},
}};

// Modules whose names have no business in a state machine: refused even as references.
constexpr std::array<std::string_view, 30> kForbiddenModules{{
    "builtins",        "__builtin__", "os",      "posix",    "nt",
    "posixpath",       "subprocess",  "sys",     "shutil",   "importlib",
    "socket",          "pty",         "runpy",   "code",     "codeop",
    "ctypes",          "pickle",      "_pickle", "marshal",  "types",
    "operator",        "functools",   "io",      "_io",      "webbrowser",
    "multiprocessing", "asyncio",     "copyreg", "commands", "platform",
}};

bool ModuleIs(std::string_view module, std::string_view base) {
  return module == base || (module.size() > base.size() && module.substr(0, base.size()) == base &&
                            module[base.size()] == '.');
}

const GlobalName* FindWhitelisted(std::string_view module, std::string_view name) {
  for (const GlobalName& g : kWhitelist) {
    if (g.module == module && g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

bool ForbiddenModule(std::string_view module) {
  for (std::string_view m : kForbiddenModules) {
    if (ModuleIs(module, m)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Callable WhitelistedCallable(std::string_view module, std::string_view name) {
  const GlobalName* g = FindWhitelisted(module, name);
  return g == nullptr ? Callable::kNotCallable : g->callable;
}

bool IsWhitelisted(std::string_view module, std::string_view name) {
  return FindWhitelisted(module, name) != nullptr;
}

bool IsForbiddenModule(std::string_view module) { return ForbiddenModule(module); }

}  // namespace parley::lima
