// Action specs -> ActionList. Names resolve in the order of DESIGN §1: the flow's "actions"
// section, the flow's Lua script, handlers registered from C++, built-ins ("end").
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
  if (cx.actions_section != nullptr) {
    for (const auto& [k, v] : cx.actions_section->as_object()) {
      names.push_back(k);
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
bool CheckTemplate(LoaderContext& cx, const json::Value& at, const std::string& text,
                   const std::string& path) {
  auto names = TemplatePlaceholders(text);
  if (!names.ok()) {
    cx.Error(path, at, "bad template: " + names.status().message());
    return false;
  }
  for (const std::string& name : *names) {
    if (name == "reply" || StartsWith(name, "contact.")) {
      continue;
    }
    cx.template_uses.push_back({name.substr(0, name.find('.')), path, at.pos()});
  }
  return true;
}

bool CheckVariableName(LoaderContext& cx, const json::Value& at, const std::string& name,
                       const std::string& path) {
  if (name.empty()) {
    cx.Error(path, at, "variable name is empty");
    return false;
  }
  if (name == "reply" || name == "contact") {
    cx.Error(path, at, "'" + name + "' is reserved for templates; choose another variable name");
    return false;
  }
  cx.variables_set.insert(name);
  return true;
}

const std::string* ExpectVariable(LoaderContext& cx, const json::Value& v,
                                  const std::string& path) {
  const std::string* name = ExpectString(cx, v, path);
  if (name == nullptr || !CheckVariableName(cx, v, *name, path)) {
    return nullptr;
  }
  return name;
}

std::optional<Action> CompileSend(LoaderContext& cx, const json::Value& v,
                                  const std::string& path) {
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
  for (const auto& [key, value] : v.as_object()) {
    const std::string key_path = Child(path, key);
    if (key == "text") {
      const std::string* text = ExpectString(cx, value, key_path);
      ok = text != nullptr && CheckTemplate(cx, value, *text, key_path) && ok;
      if (text != nullptr) {
        send.text = *text;
      }
    } else if (key == "media") {
      if (!ExpectType(cx, value, json::Type::kArray, key_path)) {
        ok = false;
        continue;
      }
      for (size_t i = 0; i < value.as_array().size(); ++i) {
        const std::string* url = ExpectString(cx, value.as_array()[i], Index(key_path, i));
        ok = url != nullptr && ok;
        if (url != nullptr) {
          send.media.push_back(*url);
        }
      }
    } else if (key == "template") {
      if (!ExpectType(cx, value, json::Type::kObject, key_path)) {
        ok = false;
        continue;
      }
      const json::Value* sid = value.Find("content_sid");
      if (sid == nullptr) {
        cx.Error(key_path, value, "a WhatsApp template needs 'content_sid'");
        ok = false;
        continue;
      }
      if (const std::string* s = ExpectString(cx, *sid, Child(key_path, "content_sid"))) {
        whatsapp.content_sid = *s;
      } else {
        ok = false;
      }
      for (const auto& [tkey, tvalue] : value.as_object()) {
        if (tkey == "content_sid") {
          continue;
        }
        if (tkey != "variables") {
          cx.Error(Child(key_path, tkey), tvalue,
                   "unknown key '" + tkey + "' in template; use content_sid and variables");
          ok = false;
          continue;
        }
        if (!ExpectType(cx, tvalue, json::Type::kObject, Child(key_path, tkey))) {
          ok = false;
          continue;
        }
        for (const auto& [var, text] : tvalue.as_object()) {
          const std::string var_path = Child(Child(key_path, tkey), var);
          const std::string* t = ExpectString(cx, text, var_path);
          ok = t != nullptr && CheckTemplate(cx, text, *t, var_path) && ok;
          if (t != nullptr) {
            whatsapp.variables[var] = *t;
          }
        }
      }
    } else {
      cx.Error(key_path, value,
               "unknown key '" + key + "' in send" + Suggest(key, {"text", "media", "template"}));
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

std::optional<Action> CompileSave(LoaderContext& cx, const json::Value& v,
                                  const std::string& path) {
  if (v.is_string()) {
    const std::string* var = ExpectVariable(cx, v, path);
    return var ? std::optional<Action>(Action{act::Save{*var, false}}) : std::nullopt;
  }
  if (!v.is_object() || v.Find("var") == nullptr) {
    cx.Error(path, v, "expected a variable name or {\"var\": name, \"as\": \"number\"|\"text\"}");
    return std::nullopt;
  }
  act::Save save;
  bool ok = true;
  for (const auto& [key, value] : v.as_object()) {
    const std::string key_path = Child(path, key);
    if (key == "var") {
      const std::string* var = ExpectVariable(cx, value, key_path);
      ok = var != nullptr && ok;
      if (var != nullptr) {
        save.var = *var;
      }
    } else if (key == "as") {
      const std::string* as = ExpectString(cx, value, key_path);
      if (as != nullptr && *as != "number" && *as != "text") {
        cx.Error(key_path, value, "'as' must be \"number\" or \"text\", got '" + *as + "'");
        ok = false;
      } else if (as != nullptr) {
        save.as_number = *as == "number";
      } else {
        ok = false;
      }
    } else {
      cx.Error(key_path, value, "unknown key '" + key + "' in save; use var and as");
      ok = false;
    }
  }
  return ok ? std::optional<Action>(Action{std::move(save)}) : std::nullopt;
}

std::optional<Action> CompileSet(LoaderContext& cx, const json::Value& v, const std::string& path) {
  if (!v.is_object() || v.as_object().empty()) {
    cx.Error(path, v, "expected an object of variables to set, such as {\"misses\": 0}");
    return std::nullopt;
  }
  act::Set set;
  bool ok = true;
  for (const auto& [key, value] : v.as_object()) {
    const std::string key_path = Child(path, key);
    ok = CheckVariableName(cx, value, key, key_path) && ok;
    if (value.is_string()) {
      ok = CheckTemplate(cx, value, value.as_string(), key_path) && ok;
    }
    set.values.emplace_back(key, value);
  }
  return ok ? std::optional<Action>(Action{std::move(set)}) : std::nullopt;
}

std::optional<Action> CompileTimer(LoaderContext& cx, const json::Value& v,
                                   const std::string& path) {
  if (!ExpectType(cx, v, json::Type::kObject, path)) {
    return std::nullopt;
  }
  act::Timer timer;
  bool ok = true;
  for (const auto& [key, value] : v.as_object()) {
    const std::string key_path = Child(path, key);
    if (key == "keep") {
      ok = ExpectType(cx, value, json::Type::kBool, key_path) && ok;
      timer.keep = value.is_bool() && value.as_bool();
      continue;
    }
    const std::string* s = nullptr;
    if (key == "name" || key == "after" || key == "at" || key == "tz") {
      s = ExpectString(cx, value, key_path);
      if (s == nullptr) {
        ok = false;
        continue;
      }
    }
    if (key == "name") {
      timer.name = *s;
    } else if (key == "after") {
      auto d = ParseDuration(*s);
      if (!d.ok()) {
        cx.Error(key_path, value, d.status().message());
        ok = false;
      } else {
        timer.after = *d;
      }
    } else if (key == "at") {
      auto t = ParseTimeOfDay(*s);
      if (!t.ok()) {
        cx.Error(key_path, value, t.status().message());
        ok = false;
      } else {
        timer.at = *t;
      }
    } else if (key == "tz") {
      if (!IsValidTimeZone(*s)) {
        cx.Error(key_path, value,
                 "unknown time zone '" + *s +
                     "' (use an IANA id such as "
                     "America/Lima)");
        ok = false;
      }
      timer.tz = *s;
    } else {
      cx.Error(key_path, value,
               "unknown key '" + key + "' in timer" +
                   Suggest(key, {"name", "after", "at", "tz", "keep"}));
      ok = false;
    }
  }
  if (timer.name.empty() && v.Find("name") == nullptr) {
    cx.Error(path, v, "a timer needs a 'name'");
    ok = false;
  } else if (timer.name.empty() && ok) {
    cx.Error(Child(path, "name"), *v.Find("name"), "timer name is empty");
    ok = false;
  }
  const bool has_after = v.Find("after") != nullptr;
  const bool has_at = v.Find("at") != nullptr;
  if (has_after == has_at) {
    cx.Error(path, v, "a timer needs exactly one of 'after' (a duration) or 'at' (a time of day)");
    ok = false;
  } else if (has_after && v.Find("tz") != nullptr) {
    cx.Error(Child(path, "tz"), *v.Find("tz"), "'tz' applies only to 'at' timers");
    ok = false;
  }
  return ok ? std::optional<Action>(Action{std::move(timer)}) : std::nullopt;
}

std::optional<ActionList> CompileNamedAction(LoaderContext& cx, const json::Value& at,
                                             const std::string& name, const std::string& path) {
  if (cx.actions_section != nullptr) {
    if (const json::Value* spec = cx.actions_section->Find(name)) {
      if (const auto it = cx.named_actions.find(name); it != cx.named_actions.end()) {
        return it->second;
      }
      if (cx.compiling_actions.contains(name)) {
        cx.Error(path, at, "action '" + name + "' is defined in terms of itself");
        return std::nullopt;
      }
      cx.compiling_actions.insert(name);
      auto compiled = CompileActions(cx, *spec, Child("actions", name));
      cx.compiling_actions.erase(name);
      cx.named_actions.emplace(name, compiled);
      return compiled;
    }
  }
  if (cx.script && cx.script->HasFunction(name)) {
    cx.opaque_actions = true;
    return ActionList{Action{act::Script{name}}};
  }
  if (cx.options().registry != nullptr) {
    if (const NativeAction* fn = cx.options().registry->FindAction(name)) {
      cx.opaque_actions = true;
      return ActionList{Action{act::Native{fn, name}}};
    }
  }
  if (name == "end") {
    return ActionList{Action{act::End{}}};
  }
  cx.Error(path, at, "unknown action '" + name + "'" + Suggest(name, ActionNameCandidates(cx)));
  return std::nullopt;
}

std::optional<Action> CompileActionObject(LoaderContext& cx, const json::Value& spec,
                                          const std::string& path) {
  const auto& members = spec.as_object();
  if (members.size() != 1) {
    cx.Error(path, spec,
             members.empty()
                 ? "empty action object: use one of send, save, set, inc, unset, "
                   "timer, cancel"
                 : "an action object has exactly one key, got " + std::to_string(members.size()) +
                       " (use an array for several actions)");
    return std::nullopt;
  }
  const auto& [key, value] = members.front();
  const std::string key_path = Child(path, key);
  if (key == "send") return CompileSend(cx, value, key_path);
  if (key == "save") return CompileSave(cx, value, key_path);
  if (key == "set") return CompileSet(cx, value, key_path);
  if (key == "timer") return CompileTimer(cx, value, key_path);
  if (key == "inc" || key == "unset") {
    const std::string* var = ExpectVariable(cx, value, key_path);
    if (var == nullptr) {
      return std::nullopt;
    }
    return key == "inc" ? Action{act::Inc{*var}} : Action{act::Unset{*var}};
  }
  if (key == "cancel") {
    const std::string* name = ExpectString(cx, value, key_path);
    if (name == nullptr) {
      return std::nullopt;
    }
    return Action{act::Cancel{*name}};
  }
  cx.Error(key_path, spec, "unknown action '" + key + "'" + Suggest(key, kActionKeys));
  return std::nullopt;
}

}  // namespace

std::optional<ActionList> CompileActions(LoaderContext& cx, const json::Value& spec,
                                         const std::string& path) {
  if (spec.is_string()) {
    return CompileNamedAction(cx, spec, spec.as_string(), path);
  }
  if (spec.is_object()) {
    auto action = CompileActionObject(cx, spec, path);
    return action ? std::optional<ActionList>(ActionList{std::move(*action)}) : std::nullopt;
  }
  if (!spec.is_array()) {
    cx.Error(path, spec,
             std::string("expected an action name, object or array, got ") +
                 json::TypeName(spec.type()));
    return std::nullopt;
  }
  ActionList list;
  bool ok = true;
  for (size_t i = 0; i < spec.as_array().size(); ++i) {
    const json::Value& item = spec.as_array()[i];
    const std::string item_path = Index(path, i);
    if (item.is_array()) {
      cx.Error(item_path, item, "nested action arrays are not allowed");
      ok = false;
      continue;
    }
    auto part = CompileActions(cx, item, item_path);
    if (!part) {
      ok = false;
      continue;
    }
    list.insert(list.end(), std::make_move_iterator(part->begin()),
                std::make_move_iterator(part->end()));
  }
  return ok ? std::optional<ActionList>(std::move(list)) : std::nullopt;
}

}  // namespace parley::flow::detail
