// Short human descriptions of compiled flow parts, for `parley check` summaries and
// `parley graph` labels (and the admin's flow graph).
#pragma once

#include <string>

#include "flow/model.hpp"

namespace parley::flow {

// "yes", "reply: yes|y", "number ≥54 <70", "timer remind", "lua is_yes", "var n ≥ 3", ...
std::string DescribeCondition(const flow::Condition& c);

struct HandlerCounts {
  size_t total = 0;  // distinct named handlers (Lua or C++) used by edges and actions
  size_t lua = 0;
};
HandlerCounts CountHandlers(const flow::Flow& flow);

}  // namespace parley::flow
