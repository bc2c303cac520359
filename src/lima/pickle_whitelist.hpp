// What the LIMA unpickler (pickle_tree.hpp) lets a pickle call or name: the whole policy in
// one place. A pysm 0.3.9 machine pickled by Python 3 needs pysm's classes, the containers
// pysm uses, builtins.getattr (a bound method such as pysm's default no-op callbacks) and
// copyreg._reconstructor (protocol 0/1 objects); nothing else may be called. Other globals
// (the handler functions a machine names) are inert names — but not names from modules that
// exist to run code or reach the system, which refuse the pickle even unused.
#pragma once

#include <string_view>

namespace parley::lima {

// What a whitelisted global does when the pickle calls it.
enum class Callable {
  kNotCallable,  // an inert reference: calling it refuses the pickle
  kPysmClass,    // NEWOBJ / _reconstructor: an object of that class
  kSet,
  kFrozenSet,
  kDeque,
  kDefaultDict,
  kOrderedDict,
  kGetattr,
  kReconstructor,  // copyreg._reconstructor(cls, base, state): protocol 0/1 objects
};

// What calling module.name does; kNotCallable for anything not on the whitelist.
Callable WhitelistedCallable(std::string_view module, std::string_view name);
// Whether module.name is on the whitelist (callable or not).
bool IsWhitelisted(std::string_view module, std::string_view name);
// Whether `module` (or a package it is in) is one a pickle may not even name.
bool IsForbiddenModule(std::string_view module);

}  // namespace parley::lima
