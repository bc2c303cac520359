// The Transaction and Batch of every dialect, over a leased connection (backend.hpp).
#pragma once

#include <memory>

#include "store/detail/backend.hpp"
#include "store/store.hpp"

namespace parley::store::detail {

// A standalone transaction on `conn`, on which BEGIN has run.
std::unique_ptr<Transaction> NewTransaction(ConnPtr conn);
// A batch on `conn`, on which BEGIN has run.
std::unique_ptr<Batch> NewBatch(ConnPtr conn);

}  // namespace parley::store::detail
