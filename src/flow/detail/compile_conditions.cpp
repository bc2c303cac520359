// Condition specs -> Condition values. Names resolve in the order of docs/flow-format.md: the
// flow's "conditions" section, the flow's Lua script, handlers registered from C++, built-ins.
#include <re2/re2.h>

#include <algorithm>

#include "flow/detail/loader_context.hpp"
#include "flow/text.hpp"

namespace parley::flow::detail {

namespace {

const std::vector<std::string> kBuiltinConditionNames = {
    "always", "yes", "no", "any_text", "has_media", "timer", "number", "delivery_failed"};
const std::vector<std::string> kConditionKeys = {
    "reply", "matches", "number", "timer", "delivery_failed", "var", "all", "any", "not"};
const std::vector<std::string> kVarOps = {"eq", "ne", "gt", "gte", "lt", "lte", "exists"};

std::optional<Condition> BuiltinCondition(std::string_view name) {
  if (name == "always") return Condition{cond::Always{}};
  if (name == "yes") return Condition{cond::Yes{}};
  if (name == "no") return Condition{cond::No{}};
  if (name == "any_text") return Condition{cond::AnyText{}};
  if (name == "has_media") return Condition{cond::HasMedia{}};
  if (name == "timer") return Condition{cond::Timer{}};
  if (name == "number") return Condition{cond::Number{}};
  if (name == "delivery_failed") return Condition{cond::DeliveryFailed{}};
  return std::nullopt;
}

std::vector<std::string> ConditionNameCandidates(const LoaderContext& cx) {
  std::vector<std::string> names = kBuiltinConditionNames;
  if (cx.conditions_section) {
    for (const auto& [k, v] : cx.conditions_section->members()) {
      names.emplace_back(k);
    }
  }
  if (cx.script) {
    const auto fns = cx.script->FunctionNames();
    names.insert(names.end(), fns.begin(), fns.end());
  }
  if (cx.options().registry != nullptr) {
    const auto native = cx.options().registry->ConditionNames();
    names.insert(names.end(), native.begin(), native.end());
  }
  return names;
}

// How many conditions a copy of `c` duplicates (a `not` shares its inner condition), counted
// up to a little past kMaxCopies. The recursion follows the condition's nesting, which
// kMaxNesting bounds.
size_t CopiesOf(const Condition& c) {
  size_t n = 1;
  if (const auto* all = std::get_if<cond::All>(&c.v)) {
    for (const Condition& inner : all->of) {
      n += n <= kMaxCopies ? CopiesOf(inner) : 0;
    }
  } else if (const auto* any = std::get_if<cond::Any>(&c.v)) {
    for (const Condition& inner : any->of) {
      n += n <= kMaxCopies ? CopiesOf(inner) : 0;
    }
  }
  return n;
}

size_t CopiesOf(const std::optional<Condition>& c) { return c ? CopiesOf(*c) : 0; }

std::optional<Condition> CompileNamedCondition(LoaderContext& cx, json::TapeValue at,
                                               std::string_view name, const JsonPath& path) {
  if (const auto spec = cx.FindCondition(name)) {
    if (const auto it = cx.named_conditions.find(name); it != cx.named_conditions.end()) {
      if (!cx.AddCopies(CopiesOf(it->second), path, at, "condition", name)) {
        return std::nullopt;
      }
      return it->second;
    }
    if (cx.compiling_conditions.contains(name)) {
      cx.Error(path, at, "condition '" + std::string(name) + "' is defined in terms of itself");
      return std::nullopt;
    }
    if (!cx.CheckNesting(path, at, "condition", name)) {
      return std::nullopt;
    }
    const auto compiling = cx.compiling_conditions.emplace(name).first;
    auto compiled = CompileCondition(cx, *spec, JsonPath("conditions").Child(name));
    cx.compiling_conditions.erase(compiling);
    cx.named_conditions.emplace(name, compiled);
    if (!cx.AddCopies(CopiesOf(compiled), path, at, "condition", name)) {
      return std::nullopt;
    }
    return compiled;
  }
  if (cx.script && cx.script->HasFunction(name)) {
    return Condition{cond::Script{std::string(name)}};
  }
  if (cx.options().registry != nullptr) {
    if (const NativeCondition* fn = cx.options().registry->FindCondition(name)) {
      return Condition{cond::Native{fn, std::string(name)}};
    }
  }
  if (auto builtin = BuiltinCondition(name)) {
    return builtin;
  }
  cx.UnknownHandler(/*condition=*/true, name, path, at,
                    [&] { return ConditionNameCandidates(cx); });
  return std::nullopt;
}

std::optional<Condition> CompileReply(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  cond::Reply reply;
  auto add = [&](json::TapeValue word, const JsonPath& word_path) {
    if (const auto s = ExpectString(cx, word, word_path)) {
      std::string normalized = NormalizeReply(*s);
      if (normalized.empty()) {
        cx.Error(word_path, word,
                 "reply word '" + std::string(*s) + "' is empty after normalization");
        return;
      }
      reply.words.push_back(std::move(normalized));
    }
  };
  if (v.is_string()) {
    add(v, path);
  } else if (v.is_array() && !v.empty()) {
    reply.words.reserve(v.size());
    size_t i = 0;
    for (const json::TapeValue word : v.elements()) {
      add(word, path.Index(i++));
    }
  } else {
    cx.Error(path, v, "expected a word or a non-empty array of words");
    return std::nullopt;
  }
  if (reply.words.empty()) {
    return std::nullopt;
  }
  return Condition{std::move(reply)};
}

// {"delivery_failed": "63016"} or {"delivery_failed": ["30003", "30005"]}: Twilio ErrorCodes,
// digits only (what a status callback's ErrorCode holds).
std::optional<Condition> CompileDeliveryFailed(LoaderContext& cx, json::TapeValue v,
                                               const JsonPath& path) {
  cond::DeliveryFailed failed;
  auto add = [&](json::TapeValue code, const JsonPath& code_path) {
    if (const auto s = ExpectString(cx, code, code_path)) {
      if (s->empty() || s->size() > 10 ||
          !std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        cx.Error(code_path, code,
                 "expected a Twilio error code such as \"30003\" (digits, as a string)");
        return;
      }
      failed.codes.emplace_back(*s);
    }
  };
  if (v.is_string()) {
    add(v, path);
  } else if (v.is_array() && !v.empty()) {
    size_t i = 0;
    for (const json::TapeValue code : v.elements()) {
      add(code, path.Index(i++));
    }
  } else {
    cx.Error(path, v, "expected an error code or a non-empty array of error codes");
    return std::nullopt;
  }
  if (failed.codes.empty()) {
    return std::nullopt;
  }
  return Condition{std::move(failed)};
}

std::optional<Condition> CompileMatches(LoaderContext& cx, json::TapeValue v,
                                        const JsonPath& path) {
  const auto pattern = ExpectString(cx, v, path);
  if (!pattern) {
    return std::nullopt;
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(*pattern, options);
  if (!re->ok()) {
    cx.Error(path, v, "bad regex '" + std::string(*pattern) + "': " + re->error());
    return std::nullopt;
  }
  return Condition{cond::Matches{std::move(re), std::string(*pattern)}};
}

std::optional<Condition> CompileNumber(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  if (v.is_bool() && v.as_bool()) {
    return Condition{cond::Number{}};
  }
  if (!v.is_object()) {
    cx.Error(path, v, "expected a range object such as {\"gte\": 54, \"lt\": 70}");
    return std::nullopt;
  }
  cond::Number n;
  bool ok = true;
  for (const auto& [key, bound] : v.members()) {
    const JsonPath key_path = path.Child(key);
    std::optional<double>* slot = key == "gt"    ? &n.gt
                                  : key == "gte" ? &n.gte
                                  : key == "lt"  ? &n.lt
                                  : key == "lte" ? &n.lte
                                                 : nullptr;
    if (slot == nullptr) {
      cx.Error(key_path, bound,
               "unknown range bound '" + std::string(key) + "'" +
                   Suggest(key, {"gt", "gte", "lt", "lte"}) + "; use gt, gte, lt or lte");
      ok = false;
      continue;
    }
    if (!ExpectType(cx, bound, json::Type::kNumber, key_path)) {
      ok = false;
      continue;
    }
    *slot = bound.as_number();
  }
  if (!ok) {
    return std::nullopt;
  }
  if ((n.gt && n.gte) || (n.lt && n.lte)) {
    cx.Error(path, v, "a range has at most one lower bound (gt or gte) and one upper (lt or lte)");
    return std::nullopt;
  }
  const std::optional<double> low = n.gt ? n.gt : n.gte;
  const std::optional<double> high = n.lt ? n.lt : n.lte;
  if (low && high && (*low > *high || (*low == *high && (n.gt || n.lt)))) {
    cx.Error(path, v, "the range is empty: no number satisfies it");
    return std::nullopt;
  }
  return Condition{n};
}

std::optional<Condition> CompileVar(LoaderContext& cx, json::TapeValue spec, json::TapeValue name,
                                    const JsonPath& path) {
  cond::Var var;
  const auto name_str = ExpectString(cx, name, path.Child("var"));
  if (!name_str) {
    return std::nullopt;
  }
  var.name = *name_str;
  int ops = 0;
  bool ok = true;
  for (const auto& [key, operand] : spec.members()) {
    if (key == "var") {
      continue;
    }
    const JsonPath key_path = path.Child(key);
    static const std::pair<std::string_view, cond::Var::Op> kOps[] = {
        {"eq", cond::Var::Op::kEq},        {"ne", cond::Var::Op::kNe}, {"gt", cond::Var::Op::kGt},
        {"gte", cond::Var::Op::kGte},      {"lt", cond::Var::Op::kLt}, {"lte", cond::Var::Op::kLte},
        {"exists", cond::Var::Op::kExists}};
    const std::string_view op_name = key;  // clang 14 cannot capture structured bindings
    const auto* op = std::find_if(std::begin(kOps), std::end(kOps),
                                  [&](const auto& p) { return p.first == op_name; });
    if (op == std::end(kOps)) {
      cx.Error(key_path, operand,
               "unknown comparison '" + std::string(key) + "'" + Suggest(key, kVarOps) +
                   "; use eq, ne, gt, gte, lt, lte or exists");
      ok = false;
      continue;
    }
    ++ops;
    var.op = op->second;
    var.operand = operand.ToValue();
    const bool ordered = var.op == cond::Var::Op::kGt || var.op == cond::Var::Op::kGte ||
                         var.op == cond::Var::Op::kLt || var.op == cond::Var::Op::kLte;
    if (ordered && !ExpectType(cx, operand, json::Type::kNumber, key_path)) {
      ok = false;
    }
    if (var.op == cond::Var::Op::kExists && !ExpectType(cx, operand, json::Type::kBool, key_path)) {
      ok = false;
    }
    if ((var.op == cond::Var::Op::kEq || var.op == cond::Var::Op::kNe) &&
        (operand.is_array() || operand.is_object())) {
      cx.Error(key_path, operand, "expected a string, number, boolean or null to compare with");
      ok = false;
    }
  }
  if (ok && ops != 1) {
    cx.Error(path, spec,
             "a var condition needs exactly one comparison (eq, ne, gt, gte, lt, lte or exists)");
    return std::nullopt;
  }
  if (!ok) {
    return std::nullopt;
  }
  return Condition{std::move(var)};
}

std::optional<Condition> CompileList(LoaderContext& cx, json::TapeValue v, const JsonPath& path,
                                     bool all) {
  if (!v.is_array() || v.empty()) {
    cx.Error(path, v, "expected a non-empty array of conditions");
    return std::nullopt;
  }
  ConditionList list;
  bool ok = true;
  size_t i = 0;
  for (const json::TapeValue item : v.elements()) {
    auto c = CompileCondition(cx, item, path.Index(i++));
    if (c) {
      list.push_back(std::move(*c));
    } else {
      ok = false;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  if (all) {
    return Condition{cond::All{std::move(list)}};
  }
  return Condition{cond::Any{std::move(list)}};
}

}  // namespace

std::optional<Condition> CompileCondition(LoaderContext& cx, json::TapeValue spec,
                                          const JsonPath& path) {
  const NestingScope scope(cx);
  if (spec.is_string()) {
    return CompileNamedCondition(cx, spec, spec.as_string(), path);
  }
  if (!spec.is_object()) {
    cx.Error(
        path, spec,
        std::string("expected a condition name or object, got ") + json::TypeName(spec.type()));
    return std::nullopt;
  }
  if (const auto name = spec.Find("var")) {
    return CompileVar(cx, spec, *name, path);
  }
  const auto members = spec.members();
  const auto first = members.begin();
  if (first == members.end() || std::next(first) != members.end()) {
    cx.Error(path, spec,
             first == members.end()
                 ? "empty condition object: use one of reply, matches, number, timer, "
                   "delivery_failed, var, all, any, not"
                 : "a condition object has exactly one key, got " + std::to_string(spec.size()));
    return std::nullopt;
  }
  const auto [key, value] = *first;
  const JsonPath key_path = path.Child(key);
  if (key == "reply") return CompileReply(cx, value, key_path);
  if (key == "matches") return CompileMatches(cx, value, key_path);
  if (key == "number") return CompileNumber(cx, value, key_path);
  if (key == "delivery_failed") return CompileDeliveryFailed(cx, value, key_path);
  if (key == "all") return CompileList(cx, value, key_path, true);
  if (key == "any") return CompileList(cx, value, key_path, false);
  if (key == "timer") {
    const auto name = ExpectString(cx, value, key_path);
    if (!name) {
      return std::nullopt;
    }
    return Condition{cond::Timer{std::string(*name)}};
  }
  if (key == "not") {
    auto inner = CompileCondition(cx, value, key_path);
    if (!inner) {
      return std::nullopt;
    }
    return Condition{cond::Not{std::make_shared<const Condition>(std::move(*inner))}};
  }
  cx.Error(key_path, spec,
           "unknown condition '" + std::string(key) + "'" + Suggest(key, kConditionKeys));
  return std::nullopt;
}

}  // namespace parley::flow::detail
