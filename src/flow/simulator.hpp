// An in-memory conversation on a simulated clock: the twin of what the store and scheduler
// do durably, used by `parley chat`, `parley test` and the engine's tests. Pure: time moves
// only through Advance().
//
// Timer semantics match the server's: setting a timer replaces a pending one of the same
// name; "all" cancels every timer but the reserved expiry timer; a recurring timer is set
// again for its next occurrence as it fires; due timers fire in due order (ties in setting order),
// each at its due time; a completed session gets no more events and its timers are dropped.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flow/engine.hpp"

namespace parley::flow {

// The carrier-compliance keywords the server handles before a message reaches a flow
// (conversation/compliance.hpp). The caller supplies the classifier, so `parley chat` and
// `parley test` recognise exactly what the server does; the flow library stays pure.
enum class ComplianceKeyword { kNone, kStop, kStart, kHelp };
struct ComplianceRules {
  std::function<ComplianceKeyword(std::string_view body)> classify;  // unset: no keywords
  std::string help_text;                                             // the answer to HELP
};

class Simulator {
 public:
  struct PendingTimer {
    std::string name;
    TimePoint due;
    uint64_t step = 0;
    bool keep = false;
    uint64_t order = 0;                                   // setting order, to break ties
    std::optional<TimerRecurrence> recur = std::nullopt;  // recurring: re-armed when it fires
    // Whether it would fire into `session` now (not stale): keep, or set at its step.
    bool Applies(const Session& session) const { return keep || step == session.step; }
  };
  // One event applied: when, what, and the effects (empty effects for a stale timer).
  struct Record {
    TimePoint at;
    Event event;
    std::vector<Effect> effects;
    // A message the compliance keywords took instead of the flow (ComplianceKeyword::kNone
    // otherwise), as on the server: STOP opts the contact out and ends an active session
    // with status opted_out (its timers dropped); START opts back in (no session starts);
    // HELP is answered with the help text (not while opted out), the session untouched.
    ComplianceKeyword keyword = ComplianceKeyword::kNone;
    bool ignored = false;  // a message from an opted-out contact: recorded, reaches no flow
  };

  Simulator(std::shared_ptr<const Flow> flow, Contact contact, TimePoint start);

  // Starts (or restarts) the session at now(); pending timers are dropped. A handler error
  // leaves the session and its timers as they were. FailedPrecondition while the contact
  // is opted out, as `parley start` on the server.
  Result<Record> Start();
  // An inbound message at now(). Compliance keywords (set_compliance) and a contact who
  // opted out are handled first, as on the server, also before Start(). Otherwise
  // FailedPrecondition before Start() or when the session is no longer active. A handler
  // error leaves the session and its timers as they were.
  Result<Record> Inbound(std::string text, std::vector<std::string> media = {});
  // A delivery failure ("failed" or "undelivered", Twilio's error code or "") of a message
  // the session sent, at now(); as Inbound otherwise (docs/flow-format.md, "Delivery
  // failures": only edges naming delivery_failed react).
  Result<Record> DeliveryFailed(std::string status, std::string error_code);
  // Moves the clock forward by `d`, firing the timers that fall due (each event at its due
  // time; timers set by a fired timer fire too if they fall due within `d`). Returns one
  // Record per delivered timer, stale ones included. Stops at the first handler error: the
  // session stays as it was before that timer, the timer is consumed (a timer fires once)
  // and the clock stays at its due time.
  Result<std::vector<Record>> Advance(Duration d);
  // Forgets the session and its timers, keeps the clock and the coverage.
  void Reset();

  const Session& session() const { return session_; }
  bool started() const { return started_; }
  TimePoint now() const { return now_; }
  const std::vector<PendingTimer>& timers() const { return timers_; }
  const Flow& flow() const { return *flow_; }
  Contact& contact() { return contact_; }
  void set_now(TimePoint t) { now_ = t; }
  // Edge paths (Edge::path) taken so far.
  const std::set<std::string>& covered_edges() const { return covered_; }
  void set_compliance(ComplianceRules rules) { compliance_ = std::move(rules); }
  bool opted_out() const { return opted_out_; }

 private:
  Result<Record> Apply(Event event);
  Record ApplyKeyword(ComplianceKeyword keyword, Event event);

  std::shared_ptr<const Flow> flow_;
  Contact contact_;
  TimePoint now_;
  Session session_;
  bool started_ = false;
  std::vector<PendingTimer> timers_;
  uint64_t next_order_ = 0;
  std::set<std::string> covered_;
  ComplianceRules compliance_;
  bool opted_out_ = false;
};

}  // namespace parley::flow
