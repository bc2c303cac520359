#pragma once

#include <span>

#include "store/detail/backend.hpp"

namespace parley::store::detail {

// Versions 1..N of the PostgreSQL schema, compiled in.
std::span<const Migration> PgMigrations();

}  // namespace parley::store::detail
