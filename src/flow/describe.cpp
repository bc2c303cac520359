#include "flow/describe.hpp"

#include <set>

namespace parley::flow {

namespace {

std::string Num(double d) { return json::FormatNumber(d); }

void CollectCondition(const flow::Condition& c, std::set<std::string>& lua,
                      std::set<std::string>& native) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, flow::cond::Script>) {
          lua.insert(v.function);
        } else if constexpr (std::is_same_v<T, flow::cond::Native>) {
          native.insert(v.name);
        } else if constexpr (std::is_same_v<T, flow::cond::All> ||
                             std::is_same_v<T, flow::cond::Any>) {
          for (const auto& inner : v.of) CollectCondition(inner, lua, native);
        } else if constexpr (std::is_same_v<T, flow::cond::Not>) {
          CollectCondition(*v.of, lua, native);
        }
      },
      c.v);
}

void CollectActions(const flow::ActionList& actions, std::set<std::string>& lua,
                    std::set<std::string>& native) {
  for (const auto& a : actions) {
    if (const auto* s = std::get_if<flow::act::Script>(&a.v)) lua.insert(s->function);
    if (const auto* n = std::get_if<flow::act::Native>(&a.v)) native.insert(n->name);
  }
}

}  // namespace

std::string DescribeCondition(const flow::Condition& c) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        namespace cond = flow::cond;
        if constexpr (std::is_same_v<T, cond::Always>) {
          return "always";
        } else if constexpr (std::is_same_v<T, cond::Reply>) {
          std::string out = "reply: ";
          for (size_t i = 0; i < v.words.size(); ++i) out += (i ? "|" : "") + v.words[i];
          return out;
        } else if constexpr (std::is_same_v<T, cond::Yes>) {
          return "yes";
        } else if constexpr (std::is_same_v<T, cond::No>) {
          return "no";
        } else if constexpr (std::is_same_v<T, cond::Matches>) {
          return "matches /" + v.pattern + "/";
        } else if constexpr (std::is_same_v<T, cond::Number>) {
          std::string out = "number";
          if (v.gt) out += " >" + Num(*v.gt);
          if (v.gte) out += " ≥" + Num(*v.gte);
          if (v.lt) out += " <" + Num(*v.lt);
          if (v.lte) out += " ≤" + Num(*v.lte);
          return out;
        } else if constexpr (std::is_same_v<T, cond::AnyText>) {
          return "any text";
        } else if constexpr (std::is_same_v<T, cond::HasMedia>) {
          return "has media";
        } else if constexpr (std::is_same_v<T, cond::Timer>) {
          return v.name.empty() ? "any timer" : "timer " + v.name;
        } else if constexpr (std::is_same_v<T, cond::DeliveryFailed>) {
          std::string out = "delivery failed";
          for (size_t i = 0; i < v.codes.size(); ++i) {
            out += (i == 0 ? " (" : ", ") + v.codes[i] + (i + 1 == v.codes.size() ? ")" : "");
          }
          return out;
        } else if constexpr (std::is_same_v<T, cond::Var>) {
          static const char* kOps[] = {"=", "≠", ">", "≥", "<", "≤", "exists"};
          const std::string op = kOps[static_cast<int>(v.op)];
          if (v.op == cond::Var::Op::kExists) {
            return v.operand.as_bool() ? v.name + " is set" : v.name + " is unset";
          }
          return v.name + " " + op + " " + json::Serialize(v.operand);
        } else if constexpr (std::is_same_v<T, cond::All> || std::is_same_v<T, cond::Any>) {
          std::string out;
          for (size_t i = 0; i < v.of.size(); ++i) {
            out += (i ? (std::is_same_v<T, cond::All> ? " and " : " or ") : "") +
                   DescribeCondition(v.of[i]);
          }
          return out;
        } else if constexpr (std::is_same_v<T, cond::Not>) {
          return "not (" + DescribeCondition(*v.of) + ")";
        } else if constexpr (std::is_same_v<T, cond::Script>) {
          return v.function;
        } else {
          return v.name;
        }
      },
      c.v);
}

HandlerCounts CountHandlers(const flow::Flow& flow) {
  std::set<std::string> lua;
  std::set<std::string> native;
  CollectActions(flow.start_enter, lua, native);
  if (flow.otherwise) CollectActions(*flow.otherwise, lua, native);
  for (const auto& state : flow.states) {
    if (state.otherwise) CollectActions(*state.otherwise, lua, native);
    for (const auto& edge : state.edges) {
      CollectCondition(edge.condition, lua, native);
      CollectActions(edge.enter, lua, native);
    }
  }
  return {lua.size() + native.size(), lua.size()};
}

}  // namespace parley::flow
