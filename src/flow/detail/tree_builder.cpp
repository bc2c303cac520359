// The loader's passes over the state tree: collect every node (shape errors), define states
// (duplicates, links, ids), choose the start, then compile conditions and actions straight
// from the tape into edges.
#include "flow/detail/tree_builder.hpp"

#include <algorithm>
#include <limits>

#include "flow/text.hpp"

namespace parley::flow::detail {

namespace {

using json::TapeValue;

constexpr uint32_t kNone = static_cast<uint32_t>(-1);

const std::vector<std::string> kNodeKeys = {"name",   "condition", "enter",
                                            "states", "otherwise", "description"};

// A node of the state tree (an object in a "states" array) with a valid name. Compact,
// because a 100,000-state flow has 400,000 of them: what the later passes need is noted down
// once (tape indices, the name as a view), and a node's path is spelled out from its parent's
// when needed. Nodes are numbered in document order, so a node's descendants follow it, up to
// `subtree_end`.
struct NodeInfo {
  const char* name_data = nullptr;  // the name without the '@' of a link (text or tape arena)
  uint32_t name_size : 31 = 0;
  uint32_t link : 1 = 0;             // the name starts with '@'
  uint32_t value = 0;                // tape index of the node's object
  uint32_t parent = kNone;           // node index; kNone for a top-level node
  uint32_t position = 0;             // index in its "states" array
  uint32_t subtree_end = 0;          // node index after its descendants
  uint32_t state = kNone;            // the state it defines, or links to
  uint32_t next_definition = kNone;  // the next node defining the same state
  // Tape indices of its parts (the first member of each name, as Find), or kNone.
  uint32_t condition = kNone;
  uint32_t enter = kNone;
  uint32_t otherwise = kNone;

  std::string_view name() const { return std::string_view(name_data, name_size); }
  bool top_level() const { return parent == kNone; }
};

// The members a state node may have.
enum class NodeKey { kName, kCondition, kEnter, kStates, kOtherwise, kDescription, kOther };

NodeKey ClassifyNodeKey(std::string_view key) {
  switch (key.size()) {
    case 4:
      return key == "name" ? NodeKey::kName : NodeKey::kOther;
    case 5:
      return key == "enter" ? NodeKey::kEnter : NodeKey::kOther;
    case 6:
      return key == "states" ? NodeKey::kStates : NodeKey::kOther;
    case 9:
      return key == "condition"   ? NodeKey::kCondition
             : key == "otherwise" ? NodeKey::kOtherwise
                                  : NodeKey::kOther;
    case 11:
      return key == "description" ? NodeKey::kDescription : NodeKey::kOther;
    default:
      return NodeKey::kOther;
  }
}

// State names -> StateId while states are being defined: 400,000 lookups for a 100,000-state
// flow, so open addressing with a hash tag per slot rather than Flow::by_name's nodes (which
// is filled once, at the end), and the names copied together, where comparing them stays in
// cache rather than reaching all over the text.
class NameIndex {
 public:
  // `expected`: about how many names there will be (more only cost a rehash).
  explicit NameIndex(size_t expected) {
    size_t slots = 16;
    while (slots < 2 * expected) {
      slots *= 2;
    }
    slots_.resize(slots);
    names_.reserve(expected);
  }

  // The id of `name`: the one it has, or the next one (the number of names so far), which it
  // gets; and whether it is new.
  std::pair<StateId, bool> Insert(std::string_view name) {
    if ((names_.size() + 1) * 2 > slots_.size()) {
      Rehash(slots_.size() * 2);
    }
    const size_t hash = Hash(name);
    size_t i = hash & (slots_.size() - 1);
    for (; slots_[i].id_plus_one != 0; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].tag == Tag(hash) && NameOf(slots_[i].id_plus_one - 1) == name) {
        return {slots_[i].id_plus_one - 1, false};
      }
    }
    const auto id = static_cast<StateId>(names_.size());
    slots_[i] = Slot{Tag(hash), id + 1};
    names_.push_back(
        Name{static_cast<uint32_t>(chars_.size()), static_cast<uint32_t>(name.size())});
    chars_.append(name);
    return {id, true};
  }

  std::optional<StateId> Find(std::string_view name) const {
    const size_t hash = Hash(name);
    for (size_t i = hash & (slots_.size() - 1); slots_[i].id_plus_one != 0;
         i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].tag == Tag(hash) && NameOf(slots_[i].id_plus_one - 1) == name) {
        return slots_[i].id_plus_one - 1;
      }
    }
    return std::nullopt;
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    uint32_t id_plus_one = 0;  // 0: empty
  };
  struct Name {
    uint32_t offset;  // in chars_ (names are parts of the text, so this fits)
    uint32_t size;
  };
  static size_t Hash(std::string_view name) { return std::hash<std::string_view>{}(name); }
  static uint32_t Tag(size_t hash) { return static_cast<uint32_t>(hash >> 32); }
  std::string_view NameOf(StateId id) const {
    return std::string_view(chars_).substr(names_[id].offset, names_[id].size);
  }

  void Rehash(size_t slots) {
    slots_.assign(slots, Slot{});
    for (StateId id = 0; id < names_.size(); ++id) {
      const size_t hash = Hash(NameOf(id));
      size_t i = hash & (slots - 1);
      while (slots_[i].id_plus_one != 0) {
        i = (i + 1) & (slots - 1);
      }
      slots_[i] = Slot{Tag(hash), id + 1};
    }
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::vector<Name> names_;  // by StateId
  std::string chars_;
};

}  // namespace

class TreeBuilder::Impl {
 public:
  Impl(LoaderContext& cx, const json::Tape& tape, Flow& flow) : cx_(cx), tape_(tape), flow_(flow) {}

  void Build(TapeValue states, std::string_view states_path, std::optional<TapeValue> start) {
    states_path_ = states_path;
    if (states.empty()) {
      cx_.Error(states_path_, states, "the flow has no states");
      return;
    }
    // A node is an object with at least a name: two values. Reserving more than is used costs
    // address space only.
    nodes_.reserve(states.nested_count() / 2);
    const JsonPath path(states_path_);
    uint32_t i = 0;
    for (const TapeValue node : states.elements()) {
      Collect(node, path.Index(i), i, kNone);
      ++i;
    }
    DefineStates();
    ChooseStart(start);  // before CompileNodes, which keeps only the start node's `enter`
    CompileNodes();
  }

  // Where state `id` is defined (for a state made by a link: the first link to it).
  StateOrigin OriginOf(StateId id) const {
    const uint32_t node = origin_[id];
    return {NodePath(node), tape_.at(nodes_[node].value).pos()};
  }

 private:
  // "states[0].states[2]": the top-level position in `states_path_`, then each level's.
  std::string NodePath(uint32_t node) const {
    std::vector<uint32_t> chain;
    for (uint32_t i = node; i != kNone; i = nodes_[i].parent) {
      chain.push_back(i);
    }
    std::string path = JsonPath(states_path_).Index(nodes_[chain.back()].position).str();
    for (auto it = std::next(chain.rbegin()); it != chain.rend(); ++it) {
      path = ChildPath(path, nodes_[*it].position);
    }
    return path;
  }

  // The path of the child at `position` of the node at `parent`, allocated once (edges keep it).
  static std::string ChildPath(const std::string& parent, uint32_t position) {
    constexpr std::string_view kStates = ".states[";
    const std::string index = std::to_string(position);
    std::string path;
    path.reserve(parent.size() + kStates.size() + index.size() + 1);
    path.append(parent).append(kStates).append(index).append("]");
    return path;
  }

  // Children of a node: the nodes after it, each followed by its own descendants.
  template <typename F>
  void ForEachChild(uint32_t node, F f) const {
    for (uint32_t c = node + 1; c < nodes_[node].subtree_end; c = nodes_[c].subtree_end) {
      f(c);
    }
  }

  void Collect(TapeValue node, const JsonPath& path, uint32_t position, uint32_t parent) {
    if (!node.is_object()) {
      cx_.Error(path, node,
                std::string("expected a state object, got ") + json::TypeName(node.type()));
      return;
    }
    // One walk: unknown keys, and the first member of each name (as Find) for later.
    std::optional<TapeValue> name;
    std::optional<TapeValue> states;
    std::optional<TapeValue> otherwise;
    uint32_t condition = kNone;
    uint32_t enter = kNone;
    for (const auto& [key, value] : node.members()) {
      switch (ClassifyNodeKey(key)) {
        case NodeKey::kName:
          name = name ? name : value;
          break;
        case NodeKey::kStates:
          states = states ? states : value;
          break;
        case NodeKey::kOtherwise:
          otherwise = otherwise ? otherwise : value;
          break;
        case NodeKey::kCondition:
          condition = condition != kNone ? condition : value.index();
          break;
        case NodeKey::kEnter:
          enter = enter != kNone ? enter : value.index();
          break;
        case NodeKey::kDescription:
          break;
        case NodeKey::kOther: {
          const std::string message =
              "unknown key '" + std::string(key) + "'" + Suggest(key, kNodeKeys);
          if (cx_.document_form()) {
            cx_.Error(path.Child(key), value, message);
          } else {
            cx_.Warning(path.Child(key), value.pos(), message + " (ignored)");
          }
          break;
        }
      }
    }
    if (!name) {
      cx_.Error(path, node, "missing 'name'");
      return;
    }
    const auto name_str = ExpectString(cx_, *name, path.Child("name"));
    if (!name_str) {
      return;
    }
    const bool top_level = parent == kNone;
    const bool link = !name_str->empty() && (*name_str)[0] == '@';
    const std::string_view bare = link ? name_str->substr(1) : *name_str;
    if (bare.empty()) {
      cx_.Error(path.Child("name"), *name, link ? "link '@' names no state" : "empty name");
      return;
    }
    std::optional<TapeValue> children;
    if (states && ExpectType(cx_, *states, json::Type::kArray, path.Child("states"))) {
      children = states;
    }
    if (link && top_level) {
      cx_.Error(path.Child("name"), *name,
                "a top-level node cannot be a link ('" + std::string(*name_str) +
                    "'): links are edges, so they must be inside a state's 'states'");
      return;
    }
    if (link && children) {
      cx_.Error(path.Child("states"), *children,
                "link '" + std::string(*name_str) + "' cannot have states of its own: define " +
                    "them on '" + std::string(bare) + "' itself");
    }
    if (link && otherwise) {
      cx_.Error(path.Child("otherwise"), *otherwise,
                "link '" + std::string(*name_str) + "' cannot have 'otherwise': put it on '" +
                    std::string(bare) + "' itself");
    }
    const auto index = static_cast<uint32_t>(nodes_.size());
    NodeInfo info;
    info.name_data = bare.data();
    info.name_size = static_cast<uint32_t>(bare.size());
    info.link = link;
    info.value = node.index();
    info.parent = parent;
    info.position = position;
    info.condition = condition;
    info.enter = enter;
    info.otherwise = otherwise ? otherwise->index() : kNone;
    nodes_.push_back(info);
    definitions_ += link ? 0 : 1;
    if (!link && children) {
      const JsonPath children_path = path.Child("states");
      uint32_t i = 0;
      for (const TapeValue child : children->elements()) {
        Collect(child, children_path.Index(i), i, index);  // depth <= json::kMaxDepth
        ++i;
      }
    }
    nodes_[index].subtree_end = static_cast<uint32_t>(nodes_.size());
  }

  // Assigns a StateId to every defined name (file order) and to link targets that nothing
  // defines (terminal states, with a warning); reports duplicate definitions.
  void DefineStates() {
    names_.emplace(definitions_);
    std::vector<uint32_t> last_definition;  // by StateId
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      NodeInfo& n = nodes_[i];
      if (n.link) {
        continue;
      }
      const auto [id, is_new] = names_->Insert(n.name());
      n.state = id;
      if (is_new) {
        origin_.push_back(i);
        last_definition.push_back(i);
      } else {
        nodes_[last_definition[id]].next_definition = i;
        last_definition[id] = i;
      }
    }
    defined_count_ = static_cast<uint32_t>(origin_.size());
    flow_.states.reserve(defined_count_);
    for (StateId id = 0; id < defined_count_; ++id) {
      flow_.states.push_back(State{std::string(nodes_[origin_[id]].name()), {}, std::nullopt});
    }
    primary_.resize(defined_count_);
    for (StateId id = 0; id < defined_count_; ++id) {
      const uint32_t first = origin_[id];
      primary_[id] = nodes_[first].next_definition == kNone ? first : ResolveDuplicate(id);
      origin_[id] = primary_[id];
    }
    std::optional<std::vector<std::string>> defined_names;  // for suggestions, made once
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      NodeInfo& n = nodes_[i];
      if (!n.link) {
        continue;
      }
      const std::string_view name = n.name();
      const auto [id, is_new] = names_->Insert(name);
      n.state = id;
      if (!is_new) {
        continue;
      }
      if (!defined_names) {
        defined_names.emplace();
        for (StateId d = 0; d < defined_count_; ++d) {
          defined_names->push_back(flow_.states[d].name);
        }
      }
      cx_.Warning(JsonPath(NodePath(i)).Child("name"), NameValue(i).pos(),
                  "link '@" + std::string(name) + "' goes to a state that is not defined; '" +
                      std::string(name) + "' becomes a terminal state" +
                      Suggest(name, *defined_names));
      flow_.states.push_back(State{std::string(name), {}, std::nullopt});
      origin_.push_back(i);
    }
    flow_.by_name.reserve(flow_.states.size());
    for (StateId id = 0; id < flow_.states.size(); ++id) {
      flow_.by_name.emplace(flow_.states[id].name, id);
    }
  }

  // A state defined twice is fine only as LIMA's continuation block: one top-level node that
  // supplies the edges and one nested node (an edge into it) without states of its own.
  uint32_t ResolveDuplicate(StateId id) {
    const std::string& name = flow_.states[id].name;
    std::vector<uint32_t> defs;
    for (uint32_t d = origin_[id]; d != kNone; d = nodes_[d].next_definition) {
      defs.push_back(d);
    }
    uint32_t top = kNone;
    uint32_t nested = kNone;
    for (const uint32_t d : defs) {
      (nodes_[d].top_level() ? top : nested) = d;
    }
    const bool continuation = defs.size() == 2 && top != kNone && nested != kNone;
    const auto nested_states = continuation ? ValidChildren(nested) : std::nullopt;
    if (continuation && !nested_states) {
      return top;
    }
    if (continuation) {
      cx_.Error(JsonPath(NodePath(nested)).Child("states"), *nested_states,
                "state '" + name + "' is continued at " + NodePath(top) + " (line " +
                    std::to_string(tape_.at(nodes_[top].value).pos().line) +
                    "), so this node cannot have states of its own");
      return top;
    }
    for (const uint32_t d : defs) {
      std::string others;
      for (const uint32_t o : defs) {
        if (o != d) {
          others += (others.empty() ? "" : ", ") + NodePath(o) + " (line " +
                    std::to_string(tape_.at(nodes_[o].value).pos().line) + ")";
        }
      }
      cx_.Error(JsonPath(NodePath(d)).Child("name"), NameValue(d),
                "duplicate state '" + name + "', also defined at " + others);
    }
    return top != kNone ? top : defs.front();
  }

  // The node's "name" (for its position: rarely needed, so not noted down).
  TapeValue NameValue(uint32_t node) const { return *tape_.at(nodes_[node].value).Find("name"); }

  // The node's "states" array, if it has a valid one.
  std::optional<TapeValue> ValidChildren(uint32_t node) const {
    const auto states = tape_.at(nodes_[node].value).Find("states");
    return states && states->is_array() ? states : std::nullopt;
  }

  void ChooseStart(std::optional<TapeValue> start) {
    if (nodes_.empty() || flow_.states.empty()) {
      return;
    }
    StateId id = 0;
    if (start) {
      const auto s = ExpectString(cx_, *start, "start");
      if (!s) {
        return;
      }
      const auto found = names_->Find(*s);
      if (!found || *found >= defined_count_) {
        std::vector<std::string> names;
        for (const State& st : flow_.states) {
          names.push_back(st.name);
        }
        cx_.Error("start", *start,
                  "start state '" + std::string(*s) + "' is not defined" + Suggest(*s, names));
        return;
      }
      id = *found;
    } else {
      const auto first = std::find_if(nodes_.begin(), nodes_.end(),
                                      [](const NodeInfo& n) { return n.top_level(); });
      if (first == nodes_.end()) {
        return;
      }
      id = first->state;
    }
    flow_.start = id;
    start_node_ = primary_[id];
  }

  // Compiles every node's condition, `enter` and `otherwise` in document order, straight into
  // the edges of the states whose defining node holds them.
  void CompileNodes() {
    for (StateId id = 0; id < defined_count_; ++id) {
      size_t edges = 0;
      ForEachChild(primary_[id], [&](uint32_t) { ++edges; });
      flow_.states[id].edges.reserve(edges);
    }
    std::vector<uint32_t> otherwise_at(defined_count_, kNone);  // by StateId: the node
    // Paths of the ancestors of the node being compiled: document order visits a node's
    // children right after it.
    std::vector<std::pair<uint32_t, std::string>> ancestors;
    json::PosCursor positions(tape_);
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      const NodeInfo& n = nodes_[i];
      while (!ancestors.empty() && ancestors.back().first != n.parent) {
        ancestors.pop_back();
      }
      std::string path_str = n.top_level() ? JsonPath(states_path_).Index(n.position).str()
                                           : ChildPath(ancestors.back().second, n.position);
      if (n.subtree_end > i + 1) {
        ancestors.emplace_back(i, path_str);
      }
      const JsonPath path(path_str);
      const TapeValue node = tape_.at(n.value);
      std::optional<Condition> condition;
      if (n.condition != kNone) {
        condition = detail::CompileCondition(cx_, tape_.at(n.condition), path.Child("condition"));
      } else if (!n.top_level()) {
        cx_.Error(path, node,
                  "edge to '" + std::string(n.name()) +
                      "' has no 'condition' (use \"always\" for an edge that "
                      "is always taken)");
      }
      std::optional<ActionList> enter;
      if (n.enter != kNone) {
        enter = detail::CompileActions(cx_, tape_.at(n.enter), path.Child("enter"));
      }
      if (n.otherwise != kNone && !n.link) {
        CompileOtherwise(i, tape_.at(n.otherwise), path, otherwise_at);
      }
      if (i == start_node_) {
        flow_.start_enter = enter.value_or(ActionList{});
      }
      if (!n.top_level() && primary_[nodes_[n.parent].state] == n.parent) {
        Edge& edge = flow_.states[nodes_[n.parent].state].edges.emplace_back();
        edge.condition = condition ? std::move(*condition) : Condition{cond::Always{}};
        edge.enter = enter ? std::move(*enter) : ActionList{};
        edge.target = n.state;
        edge.path = std::move(path_str);
        edge.pos = positions.At(node.offset());
        edge.link = n.link;
      }
    }
  }

  // 'otherwise' may sit on either node of a continuation block, but only on one.
  void CompileOtherwise(uint32_t node, TapeValue otherwise, const JsonPath& path,
                        std::vector<uint32_t>& otherwise_at) {
    auto actions = detail::CompileActions(cx_, otherwise, path.Child("otherwise"));
    const StateId id = nodes_[node].state;
    if (otherwise_at[id] != kNone) {
      cx_.Error(path.Child("otherwise"), otherwise,
                "state '" + flow_.states[id].name + "' already has 'otherwise' at " +
                    NodePath(otherwise_at[id]));
      return;
    }
    otherwise_at[id] = node;
    flow_.states[id].otherwise = std::move(actions);
  }

  LoaderContext& cx_;
  const json::Tape& tape_;
  Flow& flow_;
  std::string_view states_path_;
  std::vector<NodeInfo> nodes_;
  uint32_t defined_count_ = 0;      // states [0, defined_count_) are defined by nodes
  std::vector<uint32_t> primary_;   // by defined StateId: the defining node
  std::vector<uint32_t> origin_;    // by StateId: the defining node, or the link that made it
  std::optional<NameIndex> names_;  // made by DefineStates
  size_t definitions_ = 0;          // nodes that are not links
  uint32_t start_node_ = kNone;     // the start state's defining node
};

TreeBuilder::TreeBuilder(LoaderContext& cx, const json::Tape& tape, Flow& flow)
    : impl_(std::make_unique<Impl>(cx, tape, flow)) {}

TreeBuilder::~TreeBuilder() = default;

void TreeBuilder::Build(TapeValue states, std::string_view states_path,
                        std::optional<TapeValue> start) {
  impl_->Build(states, states_path, start);
}

StateOrigin TreeBuilder::OriginOf(StateId id) const { return impl_->OriginOf(id); }

}  // namespace parley::flow::detail
