// Private to the conversation service's own files (service.cpp, service_timer.cpp,
// admin_action.cpp): what one event's body works on, inside the event's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "conversation/service.hpp"
#include "store/store.hpp"

namespace parley::conversation {

struct Service::EventContext {
  store::Transaction& tx;
  store::ContactRecord contact;
  const Event& event;
  TimePoint now;
  std::string reply_from;  // sender address for outbound messages
  // The inbound message being answered (its id), which outbound messages name as reply_to.
  std::optional<int64_t> inbound_id;
  Applied applied;
};

// The contact as a flow sees it: its fields decoded (a value that is not a string skipped).
flow::Contact ToFlowContact(const store::ContactRecord& c);

}  // namespace parley::conversation
