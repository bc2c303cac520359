#include "conversation/transition_record.hpp"

#include <variant>

#include "flow/describe.hpp"

namespace parley::conversation {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

store::TransitionRecord Base(const store::SessionRecord& session, std::string_view cause,
                             TimePoint now) {
  store::TransitionRecord t;
  t.session_id = session.id;
  t.contact_id = session.contact_id;
  t.flow_id = session.session.flow_id;
  t.flow_revision = session.flow_revision;
  t.to_state = session.session.state;
  t.event = cause;
  t.at = now;
  return t;
}

}  // namespace

std::string_view TransitionCause(const Event& event) {
  // No catch-all: a new kind of event must say what it is.
  return std::visit(
      Overloaded{
          [](const InboundMessage&) { return std::string_view("inbound"); },
          [](const StartFlow&) { return std::string_view("start"); },
          [](const Timer& t) {
            return std::string_view(t.name == flow::kExpiryTimer ? "expire" : "timer");
          },
          [](const DeliveryStatus&) { return std::string_view("delivery"); },
          [](const AdminAction&) { return std::string_view("admin"); },
      },
      event.body);
}

store::TransitionRecord MoveRecord(const store::SessionRecord& session, std::string_view from,
                                   std::optional<int> edge, const flow::Flow* flow,
                                   std::string_view cause, TimePoint now) {
  store::TransitionRecord t = Base(session, cause, now);
  t.from_state = from;
  t.edge_index = edge;
  if (edge && flow != nullptr) {
    if (const flow::State* state = flow->FindState(from);
        state != nullptr && *edge >= 0 && static_cast<size_t>(*edge) < state->edges.size()) {
      t.edge_label = flow::DescribeCondition(state->edges[static_cast<size_t>(*edge)].condition);
    }
  }
  if (!session.session.active()) {
    t.ended = session.end_reason;
  }
  return t;
}

store::TransitionRecord EndRecord(const store::SessionRecord& session, std::string_view reason,
                                  std::string_view cause, TimePoint now) {
  store::TransitionRecord t = Base(session, cause, now);
  t.from_state = session.session.state;
  t.moved = false;
  t.ended = reason;
  return t;
}

}  // namespace parley::conversation
