// The context of one Step: what handlers read (the event, the state, the working vars) and
// the sink their requests become effects in. Internal to the engine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flow/handlers.hpp"
#include "flow/model.hpp"

namespace parley::flow::detail {

// Variable writes of one event may total this many times vars_bytes (flow/limits.hpp).
inline constexpr int64_t kVarsWrittenFactor = 16;

class StepContext final : public ActionContext {
 public:
  // `session` is the working copy the step mutates; `effects` receives the effects.
  StepContext(const Flow& flow, const Event& event, TimePoint now, Session& session,
              std::vector<Effect>& effects)
      : flow_(flow), event_(event), now_(now), session_(session), effects_(effects) {}

  // Which edge is running: `target` is empty for conditions and `otherwise`; timers set by
  // actions remember `timer_step` (the session's step once the edge is taken).
  void Enter(std::string_view state, std::string_view target, uint64_t timer_step) {
    state_ = state;
    target_ = target;
    timer_step_ = timer_step;
  }

  // HandlerContext
  const Event& event() const override { return event_; }
  std::string_view state() const override { return state_; }
  std::string_view target() const override { return target_; }
  TimePoint now() const override { return now_; }
  const json::Value& vars() const override { return session_.vars; }

  // ActionContext
  // Requests past the flow's per-event caps are dropped and recorded in limit_status().
  void Send(SendEffect message) override;
  void Set(std::string_view name, json::Value value) override;
  void Unset(std::string_view name) override;
  Status Timer(const TimerRequest& request) override;
  void Cancel(std::string_view name) override;
  void Finish() override { finished_ = true; }

  // Typed entry points for built-in actions (already validated by the loader).
  void SetTimer(const act::Timer& timer);
  bool finished() const { return finished_; }
  // The first per-event cap exceeded (flow/limits.hpp), else ok. Run stops at it.
  const Status& limit_status() const { return limit_status_; }

  // The reply, normalized once per step (reply conditions share it). Precondition: the
  // event is a message.
  const std::string& NormalizedReply();
  const std::optional<double>& ReplyNumber();

  const Flow& flow() const { return flow_; }

 private:
  void AddTimer(std::string name, TimePoint due, bool keep, std::optional<TimerRecurrence> recur);
  // Counts one more request against `limit`; false (and limit_status() set) past the cap.
  bool Allow(EventLimit limit, int64_t& count, int64_t amount = 1);
  std::string_view ZoneFor(std::string_view requested) const;

  const Flow& flow_;
  const Event& event_;
  const TimePoint now_;
  Session& session_;
  std::vector<Effect>& effects_;
  std::string_view state_;
  std::string_view target_;
  uint64_t timer_step_ = 0;
  bool finished_ = false;
  int64_t sends_ = 0;
  int64_t timer_sets_ = 0;
  int64_t timer_cancels_ = 0;
  int64_t vars_written_ = 0;  // bytes of variable writes, names included
  Status limit_status_;
  std::optional<std::string> normalized_reply_;
  std::optional<std::optional<double>> reply_number_;
};

// Evaluates a condition; fails only when a script or native handler fails.
Result<bool> Evaluate(const Condition& condition, StepContext& ctx);

// Whether `condition` names delivery_failed anywhere (inside all/any/not too): only such
// edges are tried for a kDeliveryFailed event, so flows written without delivery failures in
// mind (an `always` edge, a `var` test, a Lua condition) never react to one.
bool ReactsToDeliveryFailure(const Condition& condition);

// Runs actions in order; stops at the first failing script or native handler.
Status Run(const ActionList& actions, StepContext& ctx);

}  // namespace parley::flow::detail
