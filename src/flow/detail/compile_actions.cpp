// Action specs -> ActionList. Names resolve in the order of docs/flow-format.md: the flow's
// "actions" section, the flow's Lua script, handlers registered from C++, built-ins ("end").
#include "common/strings.hpp"
#include "flow/detail/loader_context.hpp"
#include "flow/template.hpp"
#include "flow/text.hpp"

namespace parley::flow::detail {

namespace {

const std::vector<std::string> kActionKeys = {"send",  "save",  "set",   "inc",
                                              "unset", "timer", "cancel"};

std::vector<std::string> ActionNameCandidates(const LoaderContext& cx) {
  std::vector<std::string> names = {"end"};
  if (cx.actions_section) {
    for (const auto& [k, v] : cx.actions_section->members()) {
      names.emplace_back(k);
    }
  }
  if (cx.script) {
    const auto fns = cx.script->FunctionNames();
    names.insert(names.end(), fns.begin(), fns.end());
  }
  if (cx.options().registry != nullptr) {
    const auto native = cx.options().registry->ActionNames();
    names.insert(names.end(), native.begin(), native.end());
  }
  return names;
}

// Records the template's placeholders for the "never set" warning; errors on bad syntax.
bool CheckTemplate(LoaderContext& cx, json::TapeValue at, std::string_view text,
                   const JsonPath& path) {
  // Checked whole first: a bad template records no uses.
  if (const Status status = ForEachPlaceholder(text, [](std::string_view) {}); !status.ok()) {
    cx.Error(path, at, "bad template: " + status.message());
    return false;
  }
  const Status checked = ForEachPlaceholder(text, [&](std::string_view name) {
    if (name == "reply" || StartsWith(name, "contact.")) {
      return;
    }
    const std::string_view variable = name.substr(0, name.find('.'));
    if (!cx.variables_set.contains(variable)) {
      cx.template_uses.push_back({std::string(variable), path.str(), at.pos()});
    }
  });
  return checked.ok();
}

bool CheckVariableName(LoaderContext& cx, json::TapeValue at, std::string_view name,
                       const JsonPath& path) {
  if (name.empty()) {
    cx.Error(path, at, "variable name is empty");
    return false;
  }
  if (name == "reply" || name == "contact") {
    cx.Error(path, at,
             "'" + std::string(name) + "' is reserved for templates; choose another variable name");
    return false;
  }
  if (!cx.variables_set.contains(name)) {
    cx.variables_set.emplace(name);
  }
  return true;
}

std::optional<std::string_view> ExpectVariable(LoaderContext& cx, json::TapeValue v,
                                               const JsonPath& path) {
  const auto name = ExpectString(cx, v, path);
  if (!name || !CheckVariableName(cx, v, *name, path)) {
    return std::nullopt;
  }
  return name;
}

std::optional<Action> CompileSend(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  act::Send send;
  if (v.is_string()) {
    if (!CheckTemplate(cx, v, v.as_string(), path)) {
      return std::nullopt;
    }
    send.text = v.as_string();
    return Action{std::move(send)};
  }
  if (!v.is_object()) {
    cx.Error(path, v, "expected a message text or an object {\"text\", \"media\", \"template\"}");
    return std::nullopt;
  }
  bool ok = true;
  act::WhatsAppTemplate whatsapp;
  for (const auto& [key, value] : v.members()) {
    const JsonPath key_path = path.Child(key);
    if (key == "text") {
      const auto text = ExpectString(cx, value, key_path);
      ok = text && CheckTemplate(cx, value, *text, key_path) && ok;
      if (text) {
        send.text = *text;
      }
    } else if (key == "media") {
      if (!ExpectType(cx, value, json::Type::kArray, key_path)) {
        ok = false;
        continue;
      }
      size_t i = 0;
      for (const json::TapeValue item : value.elements()) {
        const auto url = ExpectString(cx, item, key_path.Index(i++));
        ok = url && ok;
        if (url) {
          send.media.emplace_back(*url);
        }
      }
    } else if (key == "template") {
      if (!ExpectType(cx, value, json::Type::kObject, key_path)) {
        ok = false;
        continue;
      }
      const auto sid = value.Find("content_sid");
      if (!sid) {
        cx.Error(key_path, value, "a WhatsApp template needs 'content_sid'");
        ok = false;
        continue;
      }
      if (const auto s = ExpectString(cx, *sid, key_path.Child("content_sid"))) {
        whatsapp.content_sid = *s;
      } else {
        ok = false;
      }
      for (const auto& [tkey, tvalue] : value.members()) {
        if (tkey == "content_sid") {
          continue;
        }
        const JsonPath tkey_path = key_path.Child(tkey);
        if (tkey != "variables") {
          cx.Error(
              tkey_path, tvalue,
              "unknown key '" + std::string(tkey) + "' in template; use content_sid and variables");
          ok = false;
          continue;
        }
        if (!ExpectType(cx, tvalue, json::Type::kObject, tkey_path)) {
          ok = false;
          continue;
        }
        for (const auto& [var, text] : tvalue.members()) {
          const JsonPath var_path = tkey_path.Child(var);
          const auto t = ExpectString(cx, text, var_path);
          ok = t && CheckTemplate(cx, text, *t, var_path) && ok;
          if (t) {
            whatsapp.variables[std::string(var)] = *t;
          }
        }
      }
    } else {
      cx.Error(key_path, value,
               "unknown key '" + std::string(key) + "' in send" +
                   Suggest(key, {"text", "media", "template"}));
      ok = false;
    }
  }
  if (!whatsapp.content_sid.empty()) {
    send.whatsapp = std::make_shared<const act::WhatsAppTemplate>(std::move(whatsapp));
  }
  if (ok && send.text.empty() && send.media.empty() && !send.whatsapp) {
    cx.Error(path, v, "a message needs text, media or a template");
    ok = false;
  }
  return ok ? std::optional<Action>(Action{std::move(send)}) : std::nullopt;
}

std::optional<Action> CompileSave(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  if (v.is_string()) {
    const auto var = ExpectVariable(cx, v, path);
    return var ? std::optional<Action>(Action{act::Save{std::string(*var), false}}) : std::nullopt;
  }
  if (!v.is_object() || !v.Find("var")) {
    cx.Error(path, v, "expected a variable name or {\"var\": name, \"as\": \"number\"|\"text\"}");
    return std::nullopt;
  }
  act::Save save;
  bool ok = true;
  for (const auto& [key, value] : v.members()) {
    const JsonPath key_path = path.Child(key);
    if (key == "var") {
      const auto var = ExpectVariable(cx, value, key_path);
      ok = var && ok;
      if (var) {
        save.var = *var;
      }
    } else if (key == "as") {
      const auto as = ExpectString(cx, value, key_path);
      if (as && *as != "number" && *as != "text") {
        cx.Error(key_path, value,
                 "'as' must be \"number\" or \"text\", got '" + std::string(*as) + "'");
        ok = false;
      } else if (as) {
        save.as_number = *as == "number";
      } else {
        ok = false;
      }
    } else {
      cx.Error(key_path, value, "unknown key '" + std::string(key) + "' in save; use var and as");
      ok = false;
    }
  }
  return ok ? std::optional<Action>(Action{std::move(save)}) : std::nullopt;
}

std::optional<Action> CompileSet(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  if (!v.is_object() || v.empty()) {
    cx.Error(path, v, "expected an object of variables to set, such as {\"misses\": 0}");
    return std::nullopt;
  }
  act::Set set;
  bool ok = true;
  for (const auto& [key, value] : v.members()) {
    const JsonPath key_path = path.Child(key);
    ok = CheckVariableName(cx, value, key, key_path) && ok;
    if (value.is_string()) {
      ok = CheckTemplate(cx, value, value.as_string(), key_path) && ok;
    }
    set.values.emplace_back(std::string(key), value.ToValue());
  }
  return ok ? std::optional<Action>(Action{std::move(set)}) : std::nullopt;
}

std::optional<Action> CompileTimer(LoaderContext& cx, json::TapeValue v, const JsonPath& path) {
  if (!ExpectType(cx, v, json::Type::kObject, path)) {
    return std::nullopt;
  }
  act::Timer timer;
  bool ok = true;
  for (const auto& [key, value] : v.members()) {
    const JsonPath key_path = path.Child(key);
    if (key == "keep") {
      ok = ExpectType(cx, value, json::Type::kBool, key_path) && ok;
      timer.keep = value.is_bool() && value.as_bool();
      continue;
    }
    std::string_view s;
    if (key == "name" || key == "after" || key == "at" || key == "tz" || key == "every") {
      const auto str = ExpectString(cx, value, key_path);
      if (!str) {
        ok = false;
        continue;
      }
      s = *str;
    }
    if (key == "name") {
      timer.name = s;
      if (IsReservedTimer(s)) {
        cx.Error(key_path, value, "timer names beginning with '@' are reserved");
        ok = false;
      }
    } else if (key == "every") {
      auto d = ParseDuration(s);
      if (!d.ok()) {
        cx.Error(key_path, value, d.status().message());
        ok = false;
      } else if (*d < std::chrono::minutes(1)) {
        cx.Error(key_path, value,
                 "'every' must be at least 1m (a recurring timer is not a busy loop)");
        ok = false;
      } else {
        timer.every = *d;
      }
    } else if (key == "after") {
      auto d = ParseDuration(s);
      if (!d.ok()) {
        cx.Error(key_path, value, d.status().message());
        ok = false;
      } else {
        timer.after = *d;
      }
    } else if (key == "at") {
      auto t = ParseTimeOfDay(s);
      if (!t.ok()) {
        cx.Error(key_path, value, t.status().message());
        ok = false;
      } else {
        timer.at = *t;
      }
    } else if (key == "tz") {
      if (!IsValidTimeZone(s)) {
        cx.Error(key_path, value,
                 "unknown time zone '" + std::string(s) +
                     "' (use an IANA id such as "
                     "America/Lima)");
        ok = false;
      }
      timer.tz = s;
    } else {
      cx.Error(key_path, value,
               "unknown key '" + std::string(key) + "' in timer" +
                   Suggest(key, {"name", "after", "at", "tz", "keep", "every"}));
      ok = false;
    }
  }
  const auto name = v.Find("name");
  if (timer.name.empty() && !name) {
    cx.Error(path, v, "a timer needs a 'name'");
    ok = false;
  } else if (timer.name.empty() && ok) {
    cx.Error(path.Child("name"), *name, "timer name is empty");
    ok = false;
  }
  const bool has_after = v.Find("after").has_value();
  const bool has_at = v.Find("at").has_value();
  const auto tz = v.Find("tz");
  if (has_after == has_at) {
    cx.Error(path, v, "a timer needs exactly one of 'after' (a duration) or 'at' (a time of day)");
    ok = false;
  } else if (has_after && tz) {
    cx.Error(path.Child("tz"), *tz, "'tz' applies only to 'at' timers");
    ok = false;
  } else if (has_at && timer.every && timer.every->count() % 86400 != 0) {
    cx.Error(path.Child("every"), *v.Find("every"),
             "with 'at', 'every' must be a whole number of days (1d, 7d, 1w): the timer fires "
             "at that time of day");
    ok = false;
  }
  if (ok && timer.every) {
    cx.recurring_timers.push_back({timer.name, path.str(), v.pos()});
  }
  return ok ? std::optional<Action>(Action{std::move(timer)}) : std::nullopt;
}

std::optional<ActionList> CompileNamedAction(LoaderContext& cx, json::TapeValue at,
                                             std::string_view name, const JsonPath& path) {
  if (const auto spec = cx.FindAction(name)) {
    if (const auto it = cx.named_actions.find(name); it != cx.named_actions.end()) {
      if (!cx.AddCopies(it->second ? it->second->size() : 0, path, at, "action", name)) {
        return std::nullopt;
      }
      return it->second;
    }
    if (cx.compiling_actions.contains(name)) {
      cx.Error(path, at, "action '" + std::string(name) + "' is defined in terms of itself");
      return std::nullopt;
    }
    if (!cx.CheckNesting(path, at, "action", name)) {
      return std::nullopt;
    }
    const auto compiling = cx.compiling_actions.emplace(name).first;
    auto compiled = CompileActions(cx, *spec, JsonPath("actions").Child(name));
    cx.compiling_actions.erase(compiling);
    cx.named_actions.emplace(name, compiled);
    if (!cx.AddCopies(compiled ? compiled->size() : 0, path, at, "action", name)) {
      return std::nullopt;
    }
    return compiled;
  }
  if (cx.script && cx.script->HasFunction(name)) {
    cx.opaque_actions = true;
    return ActionList{Action{act::Script{std::string(name)}}};
  }
  if (cx.options().registry != nullptr) {
    if (const NativeAction* fn = cx.options().registry->FindAction(name)) {
      cx.opaque_actions = true;
      return ActionList{Action{act::Native{fn, std::string(name)}}};
    }
  }
  if (name == "end") {
    return ActionList{Action{act::End{}}};
  }
  cx.UnknownHandler(/*condition=*/false, name, path, at, [&] { return ActionNameCandidates(cx); });
  return std::nullopt;
}

std::optional<Action> CompileActionObject(LoaderContext& cx, json::TapeValue spec,
                                          const JsonPath& path) {
  const auto members = spec.members();
  const auto first = members.begin();
  if (first == members.end() || std::next(first) != members.end()) {
    cx.Error(path, spec,
             first == members.end()
                 ? "empty action object: use one of send, save, set, inc, unset, "
                   "timer, cancel"
                 : "an action object has exactly one key, got " + std::to_string(spec.size()) +
                       " (use an array for several actions)");
    return std::nullopt;
  }
  const auto [key, value] = *first;
  const JsonPath key_path = path.Child(key);
  if (key == "send") return CompileSend(cx, value, key_path);
  if (key == "save") return CompileSave(cx, value, key_path);
  if (key == "set") return CompileSet(cx, value, key_path);
  if (key == "timer") return CompileTimer(cx, value, key_path);
  if (key == "inc" || key == "unset") {
    const auto var = ExpectVariable(cx, value, key_path);
    if (!var) {
      return std::nullopt;
    }
    return key == "inc" ? Action{act::Inc{std::string(*var)}}
                        : Action{act::Unset{std::string(*var)}};
  }
  if (key == "cancel") {
    const auto name = ExpectString(cx, value, key_path);
    if (!name) {
      return std::nullopt;
    }
    if (IsReservedTimer(*name)) {
      cx.Error(key_path, value, "timer names beginning with '@' are reserved");
      return std::nullopt;
    }
    return Action{act::Cancel{std::string(*name)}};
  }
  cx.Error(key_path, spec, "unknown action '" + std::string(key) + "'" + Suggest(key, kActionKeys));
  return std::nullopt;
}

// Appends what `spec` compiles to (one action, a named list, or an array's actions) to `out`;
// false after recording errors.
bool AppendActions(LoaderContext& cx, json::TapeValue spec, const JsonPath& path, ActionList& out) {
  const NestingScope scope(cx);
  if (spec.is_string()) {
    auto named = CompileNamedAction(cx, spec, spec.as_string(), path);
    if (!named) {
      return false;
    }
    out.insert(out.end(), std::make_move_iterator(named->begin()),
               std::make_move_iterator(named->end()));
    return true;
  }
  if (spec.is_object()) {
    auto action = CompileActionObject(cx, spec, path);
    if (!action) {
      return false;
    }
    out.push_back(std::move(*action));
    return true;
  }
  if (!spec.is_array()) {
    cx.Error(path, spec,
             std::string("expected an action name, object or array, got ") +
                 json::TypeName(spec.type()));
    return false;
  }
  out.reserve(out.size() + spec.size());
  bool ok = true;
  size_t i = 0;
  for (const json::TapeValue item : spec.elements()) {
    const JsonPath item_path = path.Index(i++);
    if (item.is_array()) {
      cx.Error(item_path, item, "nested action arrays are not allowed");
      ok = false;
      continue;
    }
    ok = AppendActions(cx, item, item_path, out) && ok;  // one level: items are not arrays
  }
  return ok;
}

}  // namespace

std::optional<ActionList> CompileActions(LoaderContext& cx, json::TapeValue spec,
                                         const JsonPath& path) {
  ActionList list;
  if (!AppendActions(cx, spec, path, list)) {
    return std::nullopt;
  }
  return list;
}

}  // namespace parley::flow::detail
