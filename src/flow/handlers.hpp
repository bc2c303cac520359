// How conditions and actions written outside the flow file plug into the engine: Lua
// functions (src/script) and C++ functions registered by an embedding program.
//
// Handlers see the event through a HandlerContext and, for actions, produce effects through
// an ActionContext. They never do I/O themselves: the engine turns what they ask for into
// effects that the caller applies.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/session.hpp"

namespace parley::flow {

// What a condition or action may read. Valid only for the duration of one call.
class HandlerContext {
 public:
  virtual ~HandlerContext() = default;
  virtual const Event& event() const = 0;       // kind, text, media, timer, contact
  virtual std::string_view state() const = 0;   // the current state's name
  virtual std::string_view target() const = 0;  // the edge's target; empty for conditions
                                                // and `otherwise`
  virtual TimePoint now() const = 0;
  virtual const json::Value& vars() const = 0;  // an object; reflects Set() at once
};

// A Lua or C++ action's requests. Each call becomes an effect, in call order.
class ActionContext : public HandlerContext {
 public:
  struct TimerRequest {
    std::string name;
    std::string after;  // a duration ("2h"), or empty
    std::string at;     // a time of day ("09:00"), or empty; exactly one of after/at
    std::string tz;     // IANA zone for `at`; empty = contact's, flow's, then UTC
    bool keep = false;
  };
  // Sends a message. `text` is sent as is (no template expansion).
  virtual void Send(SendEffect message) = 0;
  virtual void Set(std::string_view name, json::Value value) = 0;
  virtual void Unset(std::string_view name) = 0;
  // Fails with InvalidArgument on a bad duration, time or time zone.
  virtual Status Timer(const TimerRequest& request) = 0;
  virtual void Cancel(std::string_view name) = 0;  // "all" cancels every timer
  virtual void Finish() = 0;                       // complete the session after this edge
};

// A flow's script (one per flow file). Implementations must be safe to call from several
// threads at once, since one compiled Flow is shared by every worker.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Whether the script defines a global function `name`. Called at load time.
  virtual bool HasFunction(std::string_view name) const = 0;
  // Every global function the script defines, for "did you mean" suggestions.
  virtual std::vector<std::string> FunctionNames() const = 0;
  // Whether the script defines `name` as a local function (`local function name`), which
  // no flow can call: a hint for the "not defined" diagnostic. Called at load time.
  virtual bool HasLocalFunction(std::string_view /*name*/) const { return false; }
  // Runs `name` as a condition with a read-only context. A script error, a non-boolean
  // result (the Lua host counts nil as false), or an exhausted budget is a non-ok Status
  // whose message includes the traceback.
  virtual Result<bool> EvalCondition(std::string_view name, const HandlerContext& ctx) const = 0;
  virtual Status RunAction(std::string_view name, ActionContext& ctx) const = 0;
};

using NativeCondition = std::function<Result<bool>(const HandlerContext&)>;
using NativeAction = std::function<Status(ActionContext&)>;

// Handlers registered by name from C++. Fill it before compiling flows; read-only after.
class HandlerRegistry {
 public:
  void AddCondition(std::string name, NativeCondition fn) {
    conditions_[std::move(name)] = std::move(fn);
  }
  void AddAction(std::string name, NativeAction fn) { actions_[std::move(name)] = std::move(fn); }
  const NativeCondition* FindCondition(std::string_view name) const {
    const auto it = conditions_.find(name);
    return it == conditions_.end() ? nullptr : &it->second;
  }
  const NativeAction* FindAction(std::string_view name) const {
    const auto it = actions_.find(name);
    return it == actions_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> ConditionNames() const;
  std::vector<std::string> ActionNames() const;

 private:
  std::map<std::string, NativeCondition, std::less<>> conditions_;
  std::map<std::string, NativeAction, std::less<>> actions_;
};

}  // namespace parley::flow
