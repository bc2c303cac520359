// `parley check`'s static view of the per-event caps (flow/limits.hpp): warnings for action
// lists that exceed a cap whenever they run. One event runs one list (the start's `enter`, one
// edge's actions, or an `otherwise`), so counting per list is exact for built-in actions; what
// Lua or C++ actions produce is only known at run time, where the engine enforces the caps.
#pragma once

#include "flow/detail/validate.hpp"

namespace parley::flow::detail {

// Warns about a list with more `send` actions than sends_per_event, more `timer` (or
// `cancel`) actions than timers_per_event, or a `send` whose literal text (placeholders
// aside) is longer than message_chars.
void WarnLimits(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of);

}  // namespace parley::flow::detail
