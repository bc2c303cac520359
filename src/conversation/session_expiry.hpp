// Session expiry (a flow's `expire_after`; docs/flow-format.md, "Session expiry"): a session
// that got no inbound message for that long ends as `expired`. The reserved timer `@expire`
// holds when. Every inbound message pushes the expiry back, but the row is rewritten only
// when it trails the new due time by more than the slack (Transaction::PushBackTimer), so
// that a message does not cost a timer write; when the row comes due, the Service computes
// the real due time from the contact's last inbound message and, if that is still ahead,
// sets the row for then instead of expiring the session (docs/architecture.md, "Timers").
#pragma once

#include <algorithm>
#include <chrono>

#include "common/time.hpp"
#include "flow/model.hpp"
#include "store/store.hpp"

namespace parley::conversation {

// How far the stored expiry may trail the real one: 1% of expire_after (7.2 hours of 30 days),
// so a contact who writes all day costs a few timer writes a day, not one per message.
inline Duration ExpirySlack(const flow::Flow& flow) {
  return flow.expire_after ? std::chrono::duration_cast<Duration>(*flow.expire_after) / 100
                           : Duration::zero();
}

// When the session really expires: `row_due` (the `@expire` row: set at the start or by a
// message) or the contact's last inbound message plus expire_after, whichever is later.
inline TimePoint ExpiryDue(const flow::Flow& flow, const store::ContactRecord& contact,
                           TimePoint row_due) {
  if (!flow.expire_after || !contact.last_inbound_at) {
    return row_due;
  }
  return std::max(
      row_due, *contact.last_inbound_at + std::chrono::duration_cast<Duration>(*flow.expire_after));
}

}  // namespace parley::conversation
