// A minimal, safe reader of Python pickles (protocols 2 to 5, as Python 3 writes them), for
// the pysm state machines the replaced system (LIMA) kept in its database
// (docs/migrating-from-lima.md). It builds a plain tree of values and never runs anything:
// there is no Python here, and the pickle's instructions that would call code in Python
// (REDUCE, NEWOBJ, NEWOBJ_EX) are accepted only for a short whitelist (pickle_whitelist.hpp) of
// callables whose effect is data — pysm's classes, the containers pysm uses (set, frozenset,
// collections.deque, collections.defaultdict, collections.OrderedDict) and builtins.getattr
// (how a bound method is pickled; here an inert reference). Calling anything else refuses the
// pickle. Other globals (a pysm machine names its handler functions this way) are kept as
// inert names, never imported or resolved — except names of modules that exist to run code or
// reach the system (os, posix, subprocess, sys, builtins beyond the whitelist, ...), which
// refuse the pickle even as plain references. Opcodes that load by reference from outside
// (PERSID, EXT*), the protocol 0/1 text opcodes, INST/OBJ and the protocol 5 out-of-band
// buffers are refused.
//
// Untrusted input: every length is checked against the input, there is no recursion, and
// size, node, stack, mark and item counts are bounded (UnpickleLimits), so any input gives a
// tree or an InvalidArgument naming the offset and the reason; nothing crashes (fuzzed:
// fuzz/pickle_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::lima {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

enum class NodeKind {
  kNone,
  kBool,
  kInt,
  kFloat,
  kStr,
  kBytes,
  kTuple,
  kList,       // also a collections.deque (cls names it)
  kDict,       // also a defaultdict or OrderedDict (cls names it)
  kSet,        // set and frozenset
  kGlobal,     // a reference to module.name, never resolved
  kObject,     // an instance of a whitelisted class: cls, and state (its __dict__) after BUILD
  kMethodRef,  // getattr(object, name): a bound method, as pickles write one; never called
};

const char* NodeKindName(NodeKind kind);

struct Node {
  NodeKind kind = NodeKind::kNone;
  int64_t number = 0;         // kBool (0 or 1), kInt
  double real = 0;            // kFloat
  std::string text;           // kStr, kBytes; kGlobal: the module; kMethodRef: the name
  std::string name;           // kGlobal: the name
  std::vector<NodeId> items;  // kTuple, kList, kSet: elements; kDict: key, value, key, ...
  NodeId cls = kNoNode;       // kObject: its class (a kGlobal); kList/kDict: the maker, if any
  NodeId state = kNoNode;     // kObject: BUILD's state; kMethodRef: the object
};

struct UnpickleLimits {
  size_t max_bytes = size_t{1} << 20;  // a pysm machine of a 22-state flow is a few KiB
  size_t max_nodes = 200'000;
  size_t max_stack = 100'000;
  size_t max_marks = 1'000;
  size_t max_items = 1'000'000;  // container elements, all containers together
};

// The values of one pickle. Node ids are indices; references between nodes (the same State
// in a set, a dict key and a parent pointer; cycles) share ids.
class PickleTree {
 public:
  NodeId root() const { return root_; }
  size_t size() const { return nodes_.size(); }
  const Node& node(NodeId id) const { return nodes_.at(id); }

  // "module.name" of a kGlobal, or of a kObject's class; empty for anything else.
  std::string QualifiedName(NodeId id) const;
  // Whether `id` is a kObject whose class is module.name.
  bool IsInstance(NodeId id, std::string_view module, std::string_view name) const;
  // The value of attribute `attr` of a kObject (a str key of its state dict), or kNoNode.
  NodeId Attr(NodeId object, std::string_view attr) const;
  // The string of a kStr node, or nullptr for any other node (kNoNode included).
  const std::string* Str(NodeId id) const;

 private:
  friend class Unpickler;
  std::vector<Node> nodes_;
  NodeId root_ = kNoNode;
};

// Reads one pickle (up to its STOP; what follows is ignored, as Python does).
// InvalidArgument with "offset N: reason" for anything malformed, refused or over a limit.
Result<PickleTree> Unpickle(std::string_view data, const UnpickleLimits& limits = {});

}  // namespace parley::lima
