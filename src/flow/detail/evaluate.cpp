// Built-in conditions. Reply conditions are false on anything but a message (the replaced
// system crashed on timer events).
#include <re2/re2.h>

#include <algorithm>

#include "common/strings.hpp"
#include "flow/detail/step_context.hpp"

namespace parley::flow::detail {

namespace {

// A variable's numeric value: numbers as they are, strings that hold a number.
std::optional<double> AsNumber(const json::Value& v) {
  if (v.is_number()) {
    return v.as_number();
  }
  if (v.is_string()) {
    return ParseNumber(v.as_string());
  }
  return std::nullopt;
}

bool Equal(const json::Value& var, const json::Value& operand) {
  if (operand.is_number()) {
    const auto n = AsNumber(var);
    return n && *n == operand.as_number();
  }
  if (operand.is_string() && var.is_number()) {
    const auto n = ParseNumber(operand.as_string());
    return n && *n == var.as_number();
  }
  return var == operand;
}

bool CompareVar(const cond::Var& c, const json::Value& vars) {
  const json::Value* var = vars.Find(c.name);
  const bool exists = var != nullptr && !var->is_null();
  using Op = cond::Var::Op;
  switch (c.op) {
    case Op::kExists:
      return exists == c.operand.as_bool();
    case Op::kEq:
      return exists ? Equal(*var, c.operand) : c.operand.is_null();
    case Op::kNe:
      return exists ? !Equal(*var, c.operand) : !c.operand.is_null();
    default:
      break;
  }
  if (!exists) {
    return false;
  }
  const auto n = AsNumber(*var);
  if (!n) {
    return false;
  }
  const double x = c.operand.as_number();
  switch (c.op) {
    case Op::kGt:
      return *n > x;
    case Op::kGte:
      return *n >= x;
    case Op::kLt:
      return *n < x;
    case Op::kLte:
      return *n <= x;
    default:
      return false;
  }
}

bool InRange(const cond::Number& r, double x) {
  return (!r.gt || x > *r.gt) && (!r.gte || x >= *r.gte) && (!r.lt || x < *r.lt) &&
         (!r.lte || x <= *r.lte);
}

}  // namespace

Result<bool> Evaluate(const Condition& condition, StepContext& ctx) {
  const bool message = ctx.event().kind == Event::Kind::kMessage;
  return std::visit(
      [&](const auto& c) -> Result<bool> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cond::Always>) {
          return true;
        } else if constexpr (std::is_same_v<T, cond::Reply>) {
          if (!message) return false;
          const std::string& reply = ctx.NormalizedReply();
          for (const std::string& w : c.words) {
            if (w == reply) return true;
          }
          return false;
        } else if constexpr (std::is_same_v<T, cond::Yes>) {
          return message && IsYes(ctx.event().text);
        } else if constexpr (std::is_same_v<T, cond::No>) {
          return message && IsNo(ctx.event().text);
        } else if constexpr (std::is_same_v<T, cond::Matches>) {
          return message && RE2::PartialMatch(TrimAscii(ctx.event().text), *c.re);
        } else if constexpr (std::is_same_v<T, cond::Number>) {
          if (!message) return false;
          const auto& n = ctx.ReplyNumber();
          return n.has_value() && InRange(c, *n);
        } else if constexpr (std::is_same_v<T, cond::AnyText>) {
          return message && !TrimAscii(ctx.event().text).empty();
        } else if constexpr (std::is_same_v<T, cond::HasMedia>) {
          return message && !ctx.event().media.empty();
        } else if constexpr (std::is_same_v<T, cond::Timer>) {
          return ctx.event().kind == Event::Kind::kTimer &&
                 (c.name.empty() || c.name == ctx.event().timer);
        } else if constexpr (std::is_same_v<T, cond::DeliveryFailed>) {
          return ctx.event().kind == Event::Kind::kDeliveryFailed &&
                 (c.codes.empty() || std::find(c.codes.begin(), c.codes.end(),
                                               ctx.event().delivery_error) != c.codes.end());
        } else if constexpr (std::is_same_v<T, cond::Var>) {
          return CompareVar(c, ctx.vars());
        } else if constexpr (std::is_same_v<T, cond::All>) {
          for (const Condition& inner : c.of) {
            auto r = Evaluate(inner, ctx);
            if (!r.ok() || !*r) return r;
          }
          return true;
        } else if constexpr (std::is_same_v<T, cond::Any>) {
          for (const Condition& inner : c.of) {
            auto r = Evaluate(inner, ctx);
            if (!r.ok() || *r) return r;
          }
          return false;
        } else if constexpr (std::is_same_v<T, cond::Not>) {
          auto r = Evaluate(*c.of, ctx);
          if (!r.ok()) return r;
          return !*r;
        } else if constexpr (std::is_same_v<T, cond::Script>) {
          const HandlerContext& read_only = ctx;
          return ctx.flow().script->EvalCondition(c.function, read_only);
        } else {
          static_assert(std::is_same_v<T, cond::Native>);
          const HandlerContext& read_only = ctx;
          return (*c.fn)(read_only);
        }
      },
      condition.v);
}

bool ReactsToDeliveryFailure(const Condition& condition) {
  if (std::holds_alternative<cond::DeliveryFailed>(condition.v)) {
    return true;
  }
  if (const auto* all = std::get_if<cond::All>(&condition.v)) {
    return std::any_of(all->of.begin(), all->of.end(), ReactsToDeliveryFailure);
  }
  if (const auto* any = std::get_if<cond::Any>(&condition.v)) {
    return std::any_of(any->of.begin(), any->of.end(), ReactsToDeliveryFailure);
  }
  if (const auto* negated = std::get_if<cond::Not>(&condition.v)) {
    return ReactsToDeliveryFailure(*negated->of);
  }
  return false;
}

}  // namespace parley::flow::detail
