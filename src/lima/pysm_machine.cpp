#include "lima/pysm_machine.hpp"

namespace parley::lima {

namespace {

constexpr std::string_view kModule = "pysm.pysm";
// Deeper than any real hierarchy; a cycle of `state` pointers stops here.
constexpr int kMaxDepth = 64;

// A name from the pickle in an error: printable ASCII only, at most 64 bytes.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

bool IsPysmState(const PickleTree& tree, NodeId id) {
  return tree.IsInstance(id, kModule, "State") || tree.IsInstance(id, kModule, "StateMachine");
}

Result<std::string> NameOf(const PickleTree& tree, NodeId state) {
  const std::string* name = tree.Str(tree.Attr(state, "name"));
  if (name == nullptr) {
    return Status::InvalidArgument("the current state has no string name");
  }
  return *name;
}

}  // namespace

Result<std::string> PysmLeafStateName(const PickleTree& tree) {
  const NodeId root = tree.root();
  if (!tree.IsInstance(root, kModule, "StateMachine")) {
    const std::string what = tree.QualifiedName(root);
    return Status::InvalidArgument(
        "not a pysm StateMachine (a " +
        (what.empty() ? std::string(NodeKindName(tree.node(root).kind)) : Printable(what)) + ")");
  }
  const NodeId cached = tree.Attr(root, "_leaf_state");
  if (IsPysmState(tree, cached)) {
    return NameOf(tree, cached);
  }
  NodeId current = root;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    const NodeId next = tree.Attr(current, "state");
    if (!IsPysmState(tree, next)) {
      break;
    }
    current = next;
  }
  if (current == root) {
    return Status::InvalidArgument("the machine has no current state (never initialized)");
  }
  return NameOf(tree, current);
}

Result<std::string> PysmLeafStateName(std::string_view pickle) {
  auto tree = Unpickle(pickle);
  if (!tree.ok()) {
    return tree.status();
  }
  return PysmLeafStateName(*tree);
}

}  // namespace parley::lima
