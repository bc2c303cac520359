#pragma once

#include <span>

#include "store/detail/backend.hpp"

namespace parley::store::detail {

// Versions 1..N of the SQLite schema, compiled in.
std::span<const Migration> SqliteMigrations();

}  // namespace parley::store::detail
