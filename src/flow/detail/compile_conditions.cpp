// Condition specs -> Condition values. Names resolve in the order of DESIGN §1: the flow's
// "conditions" section, the flow's Lua script, handlers registered from C++, built-ins.
#include <re2/re2.h>

#include "flow/detail/loader_context.hpp"
#include "flow/text.hpp"

namespace parley::flow::detail {

namespace {

const std::vector<std::string> kBuiltinConditionNames = {"always",    "yes",   "no",    "any_text",
                                                         "has_media", "timer", "number"};
const std::vector<std::string> kConditionKeys = {"reply", "matches", "number", "timer",
                                                 "var",   "all",     "any",    "not"};
const std::vector<std::string> kVarOps = {"eq", "ne", "gt", "gte", "lt", "lte", "exists"};

std::optional<Condition> BuiltinCondition(std::string_view name) {
  if (name == "always") return Condition{cond::Always{}};
  if (name == "yes") return Condition{cond::Yes{}};
  if (name == "no") return Condition{cond::No{}};
  if (name == "any_text") return Condition{cond::AnyText{}};
  if (name == "has_media") return Condition{cond::HasMedia{}};
  if (name == "timer") return Condition{cond::Timer{}};
  if (name == "number") return Condition{cond::Number{}};
  return std::nullopt;
}

std::vector<std::string> ConditionNameCandidates(const LoaderContext& cx) {
  std::vector<std::string> names = kBuiltinConditionNames;
  if (cx.conditions_section != nullptr) {
    for (const auto& [k, v] : cx.conditions_section->as_object()) {
      names.push_back(k);
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

std::optional<Condition> CompileNamedCondition(LoaderContext& cx, const json::Value& at,
                                               const std::string& name, const std::string& path) {
  if (cx.conditions_section != nullptr) {
    if (const json::Value* spec = cx.conditions_section->Find(name)) {
      if (const auto it = cx.named_conditions.find(name); it != cx.named_conditions.end()) {
        return it->second;
      }
      if (cx.compiling_conditions.contains(name)) {
        cx.Error(path, at, "condition '" + name + "' is defined in terms of itself");
        return std::nullopt;
      }
      cx.compiling_conditions.insert(name);
      auto compiled = CompileCondition(cx, *spec, Child("conditions", name));
      cx.compiling_conditions.erase(name);
      cx.named_conditions.emplace(name, compiled);
      return compiled;
    }
  }
  if (cx.script && cx.script->HasFunction(name)) {
    return Condition{cond::Script{name}};
  }
  if (cx.options().registry != nullptr) {
    if (const NativeCondition* fn = cx.options().registry->FindCondition(name)) {
      return Condition{cond::Native{fn, name}};
    }
  }
  if (auto builtin = BuiltinCondition(name)) {
    return builtin;
  }
  cx.Error(path, at,
           "unknown condition '" + name + "'" + Suggest(name, ConditionNameCandidates(cx)));
  return std::nullopt;
}

std::optional<Condition> CompileReply(LoaderContext& cx, const json::Value& v,
                                      const std::string& path) {
  cond::Reply reply;
  auto add = [&](const json::Value& word, const std::string& word_path) {
    if (const std::string* s = ExpectString(cx, word, word_path)) {
      std::string normalized = NormalizeReply(*s);
      if (normalized.empty()) {
        cx.Error(word_path, word, "reply word '" + *s + "' is empty after normalization");
        return;
      }
      reply.words.push_back(std::move(normalized));
    }
  };
  if (v.is_string()) {
    add(v, path);
  } else if (v.is_array() && !v.as_array().empty()) {
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      add(v.as_array()[i], Index(path, i));
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

std::optional<Condition> CompileMatches(LoaderContext& cx, const json::Value& v,
                                        const std::string& path) {
  const std::string* pattern = ExpectString(cx, v, path);
  if (pattern == nullptr) {
    return std::nullopt;
  }
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(*pattern, options);
  if (!re->ok()) {
    cx.Error(path, v, "bad regex '" + *pattern + "': " + re->error());
    return std::nullopt;
  }
  return Condition{cond::Matches{std::move(re), *pattern}};
}

std::optional<Condition> CompileNumber(LoaderContext& cx, const json::Value& v,
                                       const std::string& path) {
  if (v.is_bool() && v.as_bool()) {
    return Condition{cond::Number{}};
  }
  if (!v.is_object()) {
    cx.Error(path, v, "expected a range object such as {\"gte\": 54, \"lt\": 70}");
    return std::nullopt;
  }
  cond::Number n;
  bool ok = true;
  for (const auto& [key, bound] : v.as_object()) {
    const std::string key_path = Child(path, key);
    std::optional<double>* slot = key == "gt"    ? &n.gt
                                  : key == "gte" ? &n.gte
                                  : key == "lt"  ? &n.lt
                                  : key == "lte" ? &n.lte
                                                 : nullptr;
    if (slot == nullptr) {
      cx.Error(key_path, bound,
               "unknown range bound '" + key + "'" + Suggest(key, {"gt", "gte", "lt", "lte"}) +
                   "; use gt, gte, lt or lte");
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

std::optional<Condition> CompileVar(LoaderContext& cx, const json::Value& spec,
                                    const std::string& path) {
  cond::Var var;
  const json::Value* name = spec.Find("var");
  const std::string* name_str = ExpectString(cx, *name, Child(path, "var"));
  if (name_str == nullptr) {
    return std::nullopt;
  }
  var.name = *name_str;
  int ops = 0;
  bool ok = true;
  for (const auto& [key, operand] : spec.as_object()) {
    if (key == "var") {
      continue;
    }
    const std::string key_path = Child(path, key);
    static const std::pair<std::string_view, cond::Var::Op> kOps[] = {
        {"eq", cond::Var::Op::kEq},        {"ne", cond::Var::Op::kNe}, {"gt", cond::Var::Op::kGt},
        {"gte", cond::Var::Op::kGte},      {"lt", cond::Var::Op::kLt}, {"lte", cond::Var::Op::kLte},
        {"exists", cond::Var::Op::kExists}};
    const std::string& op_name = key;  // clang 14 cannot capture structured bindings
    const auto* op = std::find_if(std::begin(kOps), std::end(kOps),
                                  [&](const auto& p) { return p.first == op_name; });
    if (op == std::end(kOps)) {
      cx.Error(key_path, operand,
               "unknown comparison '" + key + "'" + Suggest(key, kVarOps) +
                   "; use eq, ne, gt, gte, lt, lte or exists");
      ok = false;
      continue;
    }
    ++ops;
    var.op = op->second;
    var.operand = operand;
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

std::optional<Condition> CompileList(LoaderContext& cx, const json::Value& v,
                                     const std::string& path, bool all) {
  if (!v.is_array() || v.as_array().empty()) {
    cx.Error(path, v, "expected a non-empty array of conditions");
    return std::nullopt;
  }
  ConditionList list;
  bool ok = true;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    auto c = CompileCondition(cx, v.as_array()[i], Index(path, i));
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

std::optional<Condition> CompileCondition(LoaderContext& cx, const json::Value& spec,
                                          const std::string& path) {
  if (spec.is_string()) {
    return CompileNamedCondition(cx, spec, spec.as_string(), path);
  }
  if (!spec.is_object()) {
    cx.Error(
        path, spec,
        std::string("expected a condition name or object, got ") + json::TypeName(spec.type()));
    return std::nullopt;
  }
  const auto& members = spec.as_object();
  if (spec.Find("var") != nullptr) {
    return CompileVar(cx, spec, path);
  }
  if (members.size() != 1) {
    cx.Error(path, spec,
             members.empty()
                 ? "empty condition object: use one of reply, matches, number, timer, "
                   "var, all, any, not"
                 : "a condition object has exactly one key, got " + std::to_string(members.size()));
    return std::nullopt;
  }
  const auto& [key, value] = members.front();
  const std::string key_path = Child(path, key);
  if (key == "reply") return CompileReply(cx, value, key_path);
  if (key == "matches") return CompileMatches(cx, value, key_path);
  if (key == "number") return CompileNumber(cx, value, key_path);
  if (key == "all") return CompileList(cx, value, key_path, true);
  if (key == "any") return CompileList(cx, value, key_path, false);
  if (key == "timer") {
    const std::string* name = ExpectString(cx, value, key_path);
    if (name == nullptr) {
      return std::nullopt;
    }
    return Condition{cond::Timer{*name}};
  }
  if (key == "not") {
    auto inner = CompileCondition(cx, value, key_path);
    if (!inner) {
      return std::nullopt;
    }
    return Condition{cond::Not{std::make_shared<const Condition>(std::move(*inner))}};
  }
  cx.Error(key_path, spec, "unknown condition '" + key + "'" + Suggest(key, kConditionKeys));
  return std::nullopt;
}

}  // namespace parley::flow::detail
