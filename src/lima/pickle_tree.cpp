#include "lima/pickle_tree.hpp"

namespace parley::lima {

const char* NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kNone:
      return "None";
    case NodeKind::kBool:
      return "bool";
    case NodeKind::kInt:
      return "int";
    case NodeKind::kFloat:
      return "float";
    case NodeKind::kStr:
      return "str";
    case NodeKind::kBytes:
      return "bytes";
    case NodeKind::kTuple:
      return "tuple";
    case NodeKind::kList:
      return "list";
    case NodeKind::kDict:
      return "dict";
    case NodeKind::kSet:
      return "set";
    case NodeKind::kGlobal:
      return "global";
    case NodeKind::kObject:
      return "object";
    case NodeKind::kMethodRef:
      return "method";
  }
  return "?";
}

std::string PickleTree::QualifiedName(NodeId id) const {
  if (id >= nodes_.size()) {
    return "";
  }
  const Node* n = &nodes_[id];
  if (n->kind == NodeKind::kObject && n->cls < nodes_.size()) {
    n = &nodes_[n->cls];
  }
  if (n->kind != NodeKind::kGlobal) {
    return "";
  }
  return n->text + "." + n->name;
}

bool PickleTree::IsInstance(NodeId id, std::string_view module, std::string_view name) const {
  if (id >= nodes_.size() || nodes_[id].kind != NodeKind::kObject ||
      nodes_[id].cls >= nodes_.size()) {
    return false;
  }
  const Node& cls = nodes_[nodes_[id].cls];
  return cls.text == module && cls.name == name;
}

NodeId PickleTree::Attr(NodeId object, std::string_view attr) const {
  if (object >= nodes_.size() || nodes_[object].kind != NodeKind::kObject) {
    return kNoNode;
  }
  NodeId state = nodes_[object].state;
  // BUILD's state may be (dict, slots): the attributes are the dict.
  if (state < nodes_.size() && nodes_[state].kind == NodeKind::kTuple &&
      !nodes_[state].items.empty()) {
    state = nodes_[state].items[0];
  }
  if (state >= nodes_.size() || nodes_[state].kind != NodeKind::kDict) {
    return kNoNode;
  }
  const std::vector<NodeId>& items = nodes_[state].items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const std::string* key = Str(items[i]);
    if (key != nullptr && *key == attr) {
      return items[i + 1];
    }
  }
  return kNoNode;
}

const std::string* PickleTree::Str(NodeId id) const {
  if (id >= nodes_.size() || nodes_[id].kind != NodeKind::kStr) {
    return nullptr;
  }
  return &nodes_[id].text;
}

}  // namespace parley::lima
