// The flow loader: JSON text -> compiled Flow + diagnostics.
//
// Three passes over the node tree: collect every node (shape errors), define states
// (duplicates, links, ids), then compile conditions/actions into edges. Validation warnings
// run on the result (validate.cpp). Every problem is reported; nothing stops at the first.
#include "flow/loader.hpp"

#include <algorithm>
#include <unordered_map>

#include "flow/detail/loader_context.hpp"
#include "flow/detail/validate.hpp"
#include "flow/text.hpp"

namespace parley::flow {

namespace {

using detail::Child;
using detail::ExpectString;
using detail::ExpectType;
using detail::Index;
using detail::LoaderContext;
using detail::Suggest;

constexpr size_t kNoParent = static_cast<size_t>(-1);

const std::vector<std::string> kDocumentKeys = {
    "flow",   "version",  "start", "script",      "conditions",   "actions",         "otherwise",
    "states", "triggers", "tz",    "description", "expire_after", "on_missing_state"};
const std::vector<std::string> kNodeKeys = {"name",   "condition", "enter",
                                            "states", "otherwise", "description"};

struct NodeInfo {
  const json::Value* node = nullptr;
  std::string path;
  std::string name;  // without the '@' of a link
  bool top_level = false;
  bool link = false;
  const json::Value* children = nullptr;  // the "states" array, if any
  size_t parent = kNoParent;
  std::vector<size_t> child_nodes;  // indices of the nodes in `children`
  // Compiled parts (nullopt when absent or invalid).
  std::optional<Condition> condition;
  std::optional<ActionList> enter;
  std::optional<ActionList> otherwise;
};

class TreeBuilder {
 public:
  TreeBuilder(LoaderContext& cx, Flow& flow) : cx_(cx), flow_(flow) {}

  void Build(const json::Value& states, const std::string& path, const json::Value* start) {
    if (states.as_array().empty()) {
      cx_.Error(path, states, "the flow has no states");
      return;
    }
    nodes_.reserve(CountNodes(states));
    for (size_t i = 0; i < states.as_array().size(); ++i) {
      Collect(states.as_array()[i], Index(path, i), true, kNoParent);
    }
    DefineStates();
    CompileNodes();
    ChooseStart(start);  // before BuildEdges, which moves the compiled parts into edges
    BuildEdges();
  }

  std::vector<detail::StateOrigin> state_origins;  // by StateId: where it is defined

 private:
  // Nodes in a "states" array, recursively: lets nodes_ be allocated once.
  static size_t CountNodes(const json::Value& states) {
    size_t n = 0;
    for (const json::Value& node : states.as_array()) {
      ++n;
      if (const json::Value* children = node.Find("states"); children && children->is_array()) {
        n += CountNodes(*children);
      }
    }
    return n;
  }

  void Collect(const json::Value& node, const std::string& path, bool top_level, size_t parent) {
    if (!node.is_object()) {
      cx_.Error(path, node,
                std::string("expected a state object, got ") + json::TypeName(node.type()));
      return;
    }
    for (const auto& [key, value] : node.as_object()) {
      if (std::find(kNodeKeys.begin(), kNodeKeys.end(), key) != kNodeKeys.end()) {
        continue;
      }
      const std::string message = "unknown key '" + key + "'" + Suggest(key, kNodeKeys);
      if (cx_.document_form()) {
        cx_.Error(Child(path, key), value, message);
      } else {
        cx_.Warning(Child(path, key), value.pos(), message + " (ignored)");
      }
    }
    const json::Value* name = node.Find("name");
    if (name == nullptr) {
      cx_.Error(path, node, "missing 'name'");
      return;
    }
    const std::string* name_str = ExpectString(cx_, *name, Child(path, "name"));
    if (name_str == nullptr) {
      return;
    }
    NodeInfo info;
    info.node = &node;
    info.path = path;
    info.top_level = top_level;
    info.parent = parent;
    info.link = !name_str->empty() && (*name_str)[0] == '@';
    info.name = info.link ? name_str->substr(1) : *name_str;
    if (info.name.empty()) {
      cx_.Error(Child(path, "name"), *name, info.link ? "link '@' names no state" : "empty name");
      return;
    }
    if (const json::Value* children = node.Find("states")) {
      if (ExpectType(cx_, *children, json::Type::kArray, Child(path, "states"))) {
        info.children = children;
      }
    }
    if (info.link && top_level) {
      cx_.Error(Child(path, "name"), *name,
                "a top-level node cannot be a link ('" + *name_str +
                    "'): links are edges, so they must be inside a state's 'states'");
      return;
    }
    if (info.link && info.children != nullptr) {
      cx_.Error(Child(path, "states"), *info.children,
                "link '" + *name_str + "' cannot have states of its own: define them on '" +
                    info.name + "' itself");
    }
    if (info.link && node.Find("otherwise") != nullptr) {
      cx_.Error(
          Child(path, "otherwise"), *node.Find("otherwise"),
          "link '" + *name_str + "' cannot have 'otherwise': put it on '" + info.name + "' itself");
    }
    const size_t index = nodes_.size();
    const json::Value* children = info.link ? nullptr : info.children;
    nodes_.push_back(std::move(info));
    if (parent != kNoParent) {
      nodes_[parent].child_nodes.push_back(index);
    }
    if (children != nullptr) {
      for (size_t i = 0; i < children->as_array().size(); ++i) {
        Collect(children->as_array()[i], Index(Child(path, "states"), i), false, index);
      }
    }
  }

  // Assigns a StateId to every defined name (file order) and to link targets that nothing
  // defines (terminal states, with a warning); reports duplicate definitions.
  void DefineStates() {
    std::unordered_map<std::string_view, std::vector<size_t>> definitions;
    definitions.reserve(nodes_.size());
    std::vector<std::string> order;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].link) {
        continue;
      }
      auto& defs = definitions[nodes_[i].name];
      if (defs.empty()) {
        order.push_back(nodes_[i].name);
      }
      defs.push_back(i);
    }
    for (const std::string& name : order) {
      const auto& defs = definitions[name];
      size_t primary = defs.front();
      if (defs.size() > 1) {
        primary = ResolveDuplicate(name, defs);
      }
      AddState(name, nodes_[primary]);
      primary_.push_back(primary);
      definitions_.push_back(defs);
    }
    for (const NodeInfo& n : nodes_) {
      if (n.link && !flow_.by_name.contains(n.name)) {
        cx_.Warning(Child(n.path, "name"), n.node->Find("name")->pos(),
                    "link '@" + n.name + "' goes to a state that is not defined; '" + n.name +
                        "' becomes a terminal state" +
                        Suggest(n.name, std::vector<std::string>(order.begin(), order.end())));
        AddState(n.name, n);
        primary_.push_back(kNoParent);
        definitions_.emplace_back();
      }
    }
  }

  // A state defined twice is fine only as LIMA's continuation block: one top-level node that
  // supplies the edges and one nested node (an edge into it) without states of its own.
  size_t ResolveDuplicate(const std::string& name, const std::vector<size_t>& defs) {
    size_t top = kNoParent;
    size_t nested = kNoParent;
    for (size_t d : defs) {
      (nodes_[d].top_level ? top : nested) = d;
    }
    const bool continuation = defs.size() == 2 && top != kNoParent && nested != kNoParent;
    if (continuation && nodes_[nested].children == nullptr) {
      return top;
    }
    if (continuation) {
      cx_.Error(Child(nodes_[nested].path, "states"), *nodes_[nested].children,
                "state '" + name + "' is continued at " + nodes_[top].path + " (line " +
                    std::to_string(nodes_[top].node->pos().line) +
                    "), so this node cannot have states of its own");
      return top;
    }
    for (size_t d : defs) {
      std::string others;
      for (size_t o : defs) {
        if (o != d) {
          others += (others.empty() ? "" : ", ") + nodes_[o].path + " (line " +
                    std::to_string(nodes_[o].node->pos().line) + ")";
        }
      }
      cx_.Error(Child(nodes_[d].path, "name"), *nodes_[d].node->Find("name"),
                "duplicate state '" + name + "', also defined at " + others);
    }
    return top != kNoParent ? top : defs.front();
  }

  void AddState(const std::string& name, const NodeInfo& defined_at) {
    const auto id = static_cast<StateId>(flow_.states.size());
    flow_.states.push_back(State{name, {}, std::nullopt});
    flow_.by_name.emplace(name, id);
    state_origins.push_back({defined_at.path, defined_at.node->pos()});
  }

  void CompileNodes() {
    for (NodeInfo& n : nodes_) {
      const json::Value& node = *n.node;
      if (const json::Value* c = node.Find("condition")) {
        n.condition = detail::CompileCondition(cx_, *c, Child(n.path, "condition"));
      } else if (!n.top_level) {
        cx_.Error(n.path, node,
                  "edge to '" + n.name +
                      "' has no 'condition' (use \"always\" for an edge that "
                      "is always taken)");
      }
      if (const json::Value* e = node.Find("enter")) {
        n.enter = detail::CompileActions(cx_, *e, Child(n.path, "enter"));
      }
      if (const json::Value* o = node.Find("otherwise"); o != nullptr && !n.link) {
        n.otherwise = detail::CompileActions(cx_, *o, Child(n.path, "otherwise"));
      }
    }
  }

  void BuildEdges() {
    for (StateId id = 0; id < primary_.size(); ++id) {
      if (primary_[id] == kNoParent) {
        continue;  // created by a link: terminal
      }
      const NodeInfo& def = nodes_[primary_[id]];
      State& state = flow_.states[id];
      state.edges.reserve(def.child_nodes.size());
      for (const size_t i : def.child_nodes) {
        NodeInfo& child = nodes_[i];
        Edge edge;
        edge.condition = child.condition ? std::move(*child.condition) : Condition{cond::Always{}};
        edge.enter = child.enter ? std::move(*child.enter) : ActionList{};
        edge.target = flow_.by_name.at(child.name);
        edge.path = child.path;
        edge.pos = child.node->pos();
        edge.link = child.link;
        state.edges.push_back(std::move(edge));
      }
      // 'otherwise' may sit on either node of a continuation block, but only on one.
      const NodeInfo* otherwise_at = nullptr;
      for (const size_t d : definitions_[id]) {
        const json::Value* o = nodes_[d].node->Find("otherwise");
        if (o == nullptr) {
          continue;
        }
        if (otherwise_at != nullptr) {
          cx_.Error(Child(nodes_[d].path, "otherwise"), *o,
                    "state '" + def.name + "' already has 'otherwise' at " + otherwise_at->path);
          continue;
        }
        otherwise_at = &nodes_[d];
        state.otherwise = std::move(nodes_[d].otherwise);
      }
    }
  }

  void ChooseStart(const json::Value* start) {
    if (nodes_.empty() || flow_.states.empty()) {
      return;
    }
    std::string name;
    if (start != nullptr) {
      const std::string* s = ExpectString(cx_, *start, "start");
      if (s == nullptr) {
        return;
      }
      if (!flow_.by_name.contains(*s) || primary_[flow_.by_name.at(*s)] == kNoParent) {
        std::vector<std::string> names;
        for (const State& st : flow_.states) {
          names.push_back(st.name);
        }
        cx_.Error("start", *start, "start state '" + *s + "' is not defined" + Suggest(*s, names));
        return;
      }
      name = *s;
    } else {
      const auto first =
          std::find_if(nodes_.begin(), nodes_.end(), [](const NodeInfo& n) { return n.top_level; });
      if (first == nodes_.end()) {
        return;
      }
      name = first->name;
    }
    flow_.start = flow_.by_name.at(name);
    flow_.start_enter = nodes_[primary_[flow_.start]].enter.value_or(ActionList{});
  }

  LoaderContext& cx_;
  Flow& flow_;
  std::vector<NodeInfo> nodes_;
  std::vector<size_t> primary_;  // by StateId: the defining node, or kNoParent for link-made
  std::vector<std::vector<size_t>> definitions_;  // by StateId: every node defining it
};

// Reads the document form's top-level keys (everything but "states").
void ReadDocument(LoaderContext& cx, const json::Value& doc, Flow& flow) {
  for (const auto& [key, value] : doc.as_object()) {
    if (std::find(kDocumentKeys.begin(), kDocumentKeys.end(), key) == kDocumentKeys.end()) {
      cx.Error(key, value, "unknown key '" + key + "'" + Suggest(key, kDocumentKeys));
    }
  }
  if (const json::Value* id = doc.Find("flow")) {
    if (const std::string* s = ExpectString(cx, *id, "flow")) {
      if (s->empty()) {
        cx.Error("flow", *id, "flow id is empty");
      }
      flow.id = *s;
    }
  }
  if (const json::Value* version = doc.Find("version")) {
    if (!version->is_number() || version->as_number() < 1 ||
        version->as_number() != static_cast<int>(version->as_number())) {
      cx.Error("version", *version, "version must be a positive integer");
    } else {
      flow.version = static_cast<int>(version->as_number());
    }
  }
  for (const char* section : {"conditions", "actions"}) {
    if (const json::Value* v = doc.Find(section)) {
      if (ExpectType(cx, *v, json::Type::kObject, section)) {
        (std::string_view(section) == "conditions" ? cx.conditions_section : cx.actions_section) =
            v;
      }
    }
  }
  if (const json::Value* tz = doc.Find("tz")) {
    if (const std::string* s = ExpectString(cx, *tz, "tz")) {
      if (!IsValidTimeZone(*s)) {
        cx.Error("tz", *tz, "unknown time zone '" + *s + "' (use an IANA id such as America/Lima)");
      }
      flow.time_zone = *s;
    }
  }
  if (const json::Value* expire = doc.Find("expire_after")) {
    if (const std::string* s = ExpectString(cx, *expire, "expire_after")) {
      auto d = ParseDuration(*s);
      if (d.ok()) {
        flow.expire_after = *d;
      } else {
        cx.Error("expire_after", *expire, d.status().message());
      }
    }
  }
  if (const json::Value* triggers = doc.Find("triggers")) {
    if (ExpectType(cx, *triggers, json::Type::kArray, "triggers")) {
      for (size_t i = 0; i < triggers->as_array().size(); ++i) {
        const json::Value& t = triggers->as_array()[i];
        if (const std::string* s = ExpectString(cx, t, Index("triggers", i))) {
          std::string keyword = NormalizeReply(*s);
          if (keyword.empty()) {
            cx.Error(Index("triggers", i), t, "trigger keyword is empty");
          } else {
            flow.triggers.push_back(std::move(keyword));
          }
        }
      }
    }
  }
  if (const json::Value* d = doc.Find("description")) {
    ExpectString(cx, *d, "description");
  }
}

// Loads the flow's script: the document's "script", or the tree form's default.
void LoadScript(LoaderContext& cx, const json::Value* script_key) {
  const CompileOptions& options = cx.options();
  std::string name;
  if (script_key != nullptr) {
    const std::string* s = ExpectString(cx, *script_key, "script");
    if (s == nullptr) {
      return;
    }
    name = *s;
  } else if (!cx.document_form()) {
    name = options.default_script;
  }
  if (name.empty()) {
    return;
  }
  if (!options.load_script) {
    if (script_key != nullptr) {
      cx.Error("script", *script_key, "this program cannot load scripts ('" + name + "')");
    }
    return;
  }
  auto loaded = options.load_script(name);
  if (loaded.ok()) {
    cx.script = std::move(loaded).value();
    return;
  }
  if (script_key == nullptr && loaded.status().code() == StatusCode::kNotFound) {
    return;  // a tree-form flow without a script beside it
  }
  const json::Value none;
  cx.Error("script", script_key != nullptr ? *script_key : none,
           "script '" + name + "': " + loaded.status().message());
}

// Compiles section entries that no node used, so that their errors are reported too.
void CompileUnusedSections(LoaderContext& cx) {
  if (cx.conditions_section != nullptr) {
    for (const auto& [name, spec] : cx.conditions_section->as_object()) {
      if (!cx.named_conditions.contains(name)) {
        cx.named_conditions.emplace(name,
                                    detail::CompileCondition(cx, spec, Child("conditions", name)));
      }
    }
  }
  if (cx.actions_section != nullptr) {
    for (const auto& [name, spec] : cx.actions_section->as_object()) {
      if (!cx.named_actions.contains(name)) {
        cx.named_actions.emplace(name, detail::CompileActions(cx, spec, Child("actions", name)));
      }
    }
  }
}

void SortDiagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.is_error() != b.is_error()) {
                       return a.is_error();
                     }
                     if (a.pos.line != b.pos.line) {
                       return a.pos.line < b.pos.line;
                     }
                     return a.pos.col < b.pos.col;
                   });
}

}  // namespace

size_t CompileResult::error_count() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                           [](const Diagnostic& d) { return d.is_error(); }));
}

size_t CompileResult::warning_count() const { return diagnostics.size() - error_count(); }

std::string FormatDiagnostic(const Diagnostic& d, std::string_view file_name) {
  std::string out(file_name);
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col);
  }
  out += d.is_error() ? ": error: " : ": warning: ";
  if (!d.path.empty()) {
    out += d.path + ": ";
  }
  out += d.message;
  return out;
}

CompileResult Compile(std::string_view json_text, const CompileOptions& options) {
  CompileResult result;
  json::Pos error_pos;
  auto doc = json::Parse(json_text, &error_pos);
  if (!doc.ok()) {
    std::string message = doc.status().message();
    message.erase(0, message.find(": ") + 2);  // the position is in `pos`
    result.diagnostics.push_back(
        {Diagnostic::Severity::kError, "", error_pos, "malformed JSON: " + message});
    return result;
  }
  const bool document_form = doc->is_object();
  LoaderContext cx(options, document_form);
  auto flow = std::make_shared<Flow>();
  flow->id = options.default_id;
  flow->revision = options.revision;

  const json::Value* states = nullptr;
  std::string states_path;
  if (doc->is_array()) {
    states = &*doc;
    LoadScript(cx, nullptr);
  } else if (document_form) {
    ReadDocument(cx, *doc, *flow);
    LoadScript(cx, doc->Find("script"));
    states = doc->Find("states");
    states_path = "states";
    if (states == nullptr) {
      cx.Error("", *doc, "missing 'states': the flow has no states");
    } else if (!ExpectType(cx, *states, json::Type::kArray, "states")) {
      states = nullptr;
    }
  } else {
    cx.Error("", *doc,
             "a flow is a JSON array of states (tree form) or an object with \"states\" "
             "(document form)");
  }

  if (states != nullptr) {
    TreeBuilder builder(cx, *flow);
    builder.Build(*states, states_path, document_form ? doc->Find("start") : nullptr);
    if (document_form) {
      if (const json::Value* otherwise = doc->Find("otherwise")) {
        flow->otherwise = detail::CompileActions(cx, *otherwise, "otherwise");
      }
    }
    CompileUnusedSections(cx);
    if (!cx.has_errors()) {
      detail::AddWarnings(cx, *flow, builder.state_origins);
    }
  }
  if (document_form) {
    if (const json::Value* on_missing = doc->Find("on_missing_state")) {
      if (const std::string* s = ExpectString(cx, *on_missing, "on_missing_state")) {
        if (flow->FindState(*s) == nullptr) {
          cx.Error("on_missing_state", *on_missing, "state '" + *s + "' is not defined");
        }
        flow->on_missing_state = *s;
      }
    }
  }
  result.diagnostics = std::move(cx.diagnostics());
  SortDiagnostics(result.diagnostics);
  if (result.error_count() == 0) {
    flow->script = std::move(cx.script);
    result.flow = std::move(flow);
  }
  return result;
}

}  // namespace parley::flow
