#include "flow/simulator.hpp"

#include "flow/text.hpp"

#include <algorithm>
#include <utility>

namespace parley::flow {

Simulator::Simulator(std::shared_ptr<const Flow> flow, Contact contact, TimePoint start)
    : flow_(std::move(flow)), contact_(std::move(contact)), now_(start) {}

Result<Simulator::Record> Simulator::Start() {
  if (opted_out_) {
    return Status::FailedPrecondition(
        "the contact has opted out (STOP): no session starts until they send START");
  }
  Session old_session = std::exchange(session_, Session{});
  std::vector<PendingTimer> old_timers = std::exchange(timers_, {});
  auto record = Apply(Event::Start(contact_));
  if (!record.ok()) {
    session_ = std::move(old_session);
    timers_ = std::move(old_timers);
    return record;
  }
  started_ = true;
  return record;
}

Result<Simulator::Record> Simulator::Inbound(std::string text, std::vector<std::string> media) {
  const ComplianceKeyword keyword =
      compliance_.classify ? compliance_.classify(text) : ComplianceKeyword::kNone;
  Event event = Event::Message(std::move(text), contact_, std::move(media));
  if (keyword != ComplianceKeyword::kNone) {
    return ApplyKeyword(keyword, std::move(event));
  }
  if (opted_out_) {
    Record record{now_, std::move(event), {}};
    record.ignored = true;
    return record;
  }
  if (!started_) {
    return Status::FailedPrecondition("the session has not started");
  }
  return Apply(std::move(event));
}

// The server's order (conversation::Service): STOP and START change the contact whatever
// its status; HELP and messages reach nothing while it is opted out.
Simulator::Record Simulator::ApplyKeyword(ComplianceKeyword keyword, Event event) {
  Record record{now_, std::move(event), {}};
  record.keyword = keyword;
  switch (keyword) {
    case ComplianceKeyword::kStop:
      opted_out_ = true;
      if (started_ && session_.active()) {
        session_.status = SessionStatus::kOptedOut;
        timers_.clear();
      }
      break;
    case ComplianceKeyword::kStart:
      opted_out_ = false;
      break;
    case ComplianceKeyword::kHelp:
      if (opted_out_) {
        record.ignored = true;
      } else {
        record.effects.emplace_back(SendEffect{compliance_.help_text, {}, "", {}});
      }
      break;
    case ComplianceKeyword::kNone:
      break;
  }
  return record;
}

Result<Simulator::Record> Simulator::DeliveryFailed(std::string status, std::string error_code) {
  if (!started_) {
    return Status::FailedPrecondition("the session has not started");
  }
  return Apply(Event::DeliveryFailed(std::move(status), std::move(error_code), contact_));
}

Result<Simulator::Record> Simulator::Apply(Event event) {
  auto r = Step(*flow_, session_, event, now_);
  if (!r.ok()) {
    return r.status();
  }
  session_ = r->session;
  for (const Effect& e : r->effects) {
    if (const auto* set = std::get_if<TimerSetEffect>(&e)) {
      std::erase_if(timers_, [&](const PendingTimer& t) { return t.name == set->name; });
      timers_.push_back({set->name, set->due, set->step, set->keep, next_order_++, set->recur});
    } else if (const auto* cancel = std::get_if<TimerCancelEffect>(&e)) {
      std::erase_if(timers_, [&](const PendingTimer& t) {
        return cancel->all ? !IsReservedTimer(t.name) : t.name == cancel->name;
      });
    } else if (const auto* change = std::get_if<StateChangeEffect>(&e)) {
      covered_.insert(change->edge_path);
    }
  }
  if (!session_.active()) {
    timers_.clear();
  }
  return Record{now_, std::move(event), std::move(r->effects)};
}

Result<std::vector<Simulator::Record>> Simulator::Advance(Duration d) {
  const TimePoint until = now_ + d;
  std::vector<Record> fired;
  while (session_.active() && started_) {
    const auto next = std::min_element(timers_.begin(), timers_.end(),
                                       [](const PendingTimer& a, const PendingTimer& b) {
                                         return a.due != b.due ? a.due < b.due : a.order < b.order;
                                       });
    if (next == timers_.end() || next->due > until) {
      break;
    }
    const PendingTimer timer = *next;
    timers_.erase(next);
    now_ = std::max(now_, timer.due);
    if (timer.recur) {
      // Set again before it runs, as the server does, so the flow's actions can cancel it.
      PendingTimer again = timer;
      again.due = NextOccurrence(*timer.recur, timer.due, now_);
      again.step = session_.step;
      again.order = next_order_++;
      timers_.push_back(std::move(again));
    }
    auto record = Apply(Event::Timer(timer.name, timer.step, timer.keep, contact_));
    if (!record.ok()) {
      return record.status();
    }
    fired.push_back(std::move(*record));
  }
  now_ = until;
  return fired;
}

void Simulator::Reset() {
  session_ = Session{};
  timers_.clear();
  started_ = false;
}

}  // namespace parley::flow
