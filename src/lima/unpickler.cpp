// The opcode interpreter behind lima::Unpickle (pickle_tree.hpp): a stack machine over the
// input, no recursion; every call the pickle makes goes through pickle_whitelist.hpp.
#include <bit>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lima/pickle_tree.hpp"
#include "lima/pickle_whitelist.hpp"

// Declares `decl` from a Result, or returns its error from the enclosing function.
#define LIMA_CONCAT_INNER(a, b) a##b
#define LIMA_CONCAT(a, b) LIMA_CONCAT_INNER(a, b)
#define LIMA_ASSIGN_OR_RETURN(decl, expr) \
  LIMA_ASSIGN_OR_RETURN_IMPL(LIMA_CONCAT(lima_result_, __LINE__), decl, expr)
#define LIMA_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) {                                  \
    return tmp.status();                            \
  }                                                 \
  decl = std::move(tmp).value()

namespace parley::lima {

class Unpickler {
 public:
  Unpickler(std::string_view data, const UnpickleLimits& limits) : in_(data), limits_(limits) {}

  Result<PickleTree> Run() {
    if (in_.size() > limits_.max_bytes) {
      return Status::InvalidArgument("pickle of " + std::to_string(in_.size()) +
                                     " bytes is over the limit of " +
                                     std::to_string(limits_.max_bytes));
    }
    if (in_.size() < 2 || static_cast<uint8_t>(in_[0]) != 0x80) {
      return Fail("not a pickle of protocol 2 or later (no PROTO opcode)");
    }
    while (true) {
      if (pos_ >= in_.size()) {
        return Fail("truncated: no STOP opcode");
      }
      op_at_ = pos_;
      const uint8_t op = static_cast<uint8_t>(in_[pos_++]);
      if (op == '.') {  // STOP
        LIMA_ASSIGN_OR_RETURN(NodeId top, Pop());
        tree_.root_ = top;
        return std::move(tree_);
      }
      PARLEY_RETURN_IF_ERROR(Step(op));
    }
  }

 private:
  Status Step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        LIMA_ASSIGN_OR_RETURN(uint64_t v, ReadUint(1));
        if (v < 2 || v > 5) {
          return Fail("unsupported pickle protocol " + std::to_string(v));
        }
        return Status::Ok();
      }
      case 0x95: {  // FRAME: a length prefix for buffering; the opcodes follow inline
        return ReadUint(8).status();
      }
      case '(':  // MARK
        if (marks_.size() >= limits_.max_marks) {
          return Fail("too many nested marks");
        }
        marks_.push_back(stack_.size());
        return Status::Ok();
      case '0':  // POP
        return Pop().status();
      case '1': {  // POP_MARK
        LIMA_ASSIGN_OR_RETURN(size_t mark, PopMark());
        stack_.resize(mark);
        return Status::Ok();
      }
      case '2': {  // DUP
        LIMA_ASSIGN_OR_RETURN(NodeId top, Top());
        return Push(top);
      }
      case 'N':
        return PushNew(NodeKind::kNone);
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kBool));
        tree_.nodes_[id].number = op == 0x88 ? 1 : 0;
        return Push(id);
      }
      case 'J': {  // BININT: 4 bytes, signed
        LIMA_ASSIGN_OR_RETURN(uint64_t v, ReadUint(4));
        return PushInt(static_cast<int32_t>(static_cast<uint32_t>(v)));
      }
      case 'K': {  // BININT1
        LIMA_ASSIGN_OR_RETURN(uint64_t v, ReadUint(1));
        return PushInt(static_cast<int64_t>(v));
      }
      case 'M': {  // BININT2
        LIMA_ASSIGN_OR_RETURN(uint64_t v, ReadUint(2));
        return PushInt(static_cast<int64_t>(v));
      }
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        LIMA_ASSIGN_OR_RETURN(uint64_t n, ReadUint(op == 0x8a ? 1 : 4));
        return Long(n);
      }
      case 'G': {  // BINFLOAT: 8 bytes, big-endian IEEE 754
        LIMA_ASSIGN_OR_RETURN(std::string_view b, ReadBytes(8));
        uint64_t bits = 0;
        for (char c : b) {
          bits = (bits << 8) | static_cast<uint8_t>(c);
        }
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kFloat));
        tree_.nodes_[id].real = std::bit_cast<double>(bits);
        return Push(id);
      }
      case 0x8c:  // SHORT_BINUNICODE
        return PushText(NodeKind::kStr, 1);
      case 'X':  // BINUNICODE
        return PushText(NodeKind::kStr, 4);
      case 0x8d:  // BINUNICODE8
        return PushText(NodeKind::kStr, 8);
      case 'C':  // SHORT_BINBYTES
      case 'U':  // SHORT_BINSTRING (a Python 2 str)
        return PushText(NodeKind::kBytes, 1);
      case 'B':  // BINBYTES
      case 'T':  // BINSTRING
        return PushText(NodeKind::kBytes, 4);
      case 0x8e:  // BINBYTES8
        return PushText(NodeKind::kBytes, 8);
      case ')':
        return PushNew(NodeKind::kTuple);
      case 0x85:
      case 0x86:
      case 0x87:  // TUPLE1, TUPLE2, TUPLE3
        return TupleOf(static_cast<size_t>(op - 0x84));
      case 't': {  // TUPLE
        LIMA_ASSIGN_OR_RETURN(size_t mark, PopMark());
        return TupleOf(stack_.size() - mark);
      }
      case ']':
        return PushNew(NodeKind::kList);
      case '}':
        return PushNew(NodeKind::kDict);
      case 0x8f:
        return PushNew(NodeKind::kSet);
      case 'l':     // LIST
      case 'd':     // DICT
      case 0x91: {  // FROZENSET
        LIMA_ASSIGN_OR_RETURN(size_t mark, PopMark());
        const NodeKind kind =
            op == 'l' ? NodeKind::kList : (op == 'd' ? NodeKind::kDict : NodeKind::kSet);
        if (kind == NodeKind::kDict && (stack_.size() - mark) % 2 != 0) {
          return Fail("DICT with an odd number of items");
        }
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(kind));
        PARLEY_RETURN_IF_ERROR(MoveItems(id, mark));
        return Push(id);
      }
      case 'a': {  // APPEND
        LIMA_ASSIGN_OR_RETURN(NodeId value, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId list, Top());
        PARLEY_RETURN_IF_ERROR(Expect(list, NodeKind::kList, "APPEND"));
        return AddItems(list, {value});
      }
      case 's': {  // SETITEM
        LIMA_ASSIGN_OR_RETURN(NodeId value, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId key, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId dict, Top());
        PARLEY_RETURN_IF_ERROR(Expect(dict, NodeKind::kDict, "SETITEM"));
        return AddItems(dict, {key, value});
      }
      case 'e':     // APPENDS
      case 'u':     // SETITEMS
      case 0x90: {  // ADDITEMS
        LIMA_ASSIGN_OR_RETURN(size_t mark, PopMark());
        if (mark == 0) {
          return Fail("no container below the mark");
        }
        const NodeId target = stack_[mark - 1];
        const NodeKind kind =
            op == 'e' ? NodeKind::kList : (op == 'u' ? NodeKind::kDict : NodeKind::kSet);
        PARLEY_RETURN_IF_ERROR(Expect(target, kind, op == 'e' ? "APPENDS" : "SETITEMS"));
        if (kind == NodeKind::kDict && (stack_.size() - mark) % 2 != 0) {
          return Fail("SETITEMS with an odd number of items");
        }
        return MoveItems(target, mark);
      }
      case 'c': {  // GLOBAL: "module\nname\n"
        LIMA_ASSIGN_OR_RETURN(std::string_view module, ReadLine());
        LIMA_ASSIGN_OR_RETURN(std::string_view name, ReadLine());
        return PushGlobal(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        LIMA_ASSIGN_OR_RETURN(NodeId name, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId module, Pop());
        const std::string* m = tree_.Str(module);
        const std::string* n = tree_.Str(name);
        if (m == nullptr || n == nullptr) {
          return Fail("STACK_GLOBAL needs two strings");
        }
        const std::string module_text = *m;
        const std::string name_text = *n;
        return PushGlobal(module_text, name_text);
      }
      case 'R': {  // REDUCE: callable(*args)
        LIMA_ASSIGN_OR_RETURN(NodeId args, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId callable, Pop());
        return Reduce(callable, args);
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        LIMA_ASSIGN_OR_RETURN(NodeId args, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId cls, Pop());
        PARLEY_RETURN_IF_ERROR(Expect(args, NodeKind::kTuple, "NEWOBJ"));
        return NewObject(cls);
      }
      case 0x92: {  // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        LIMA_ASSIGN_OR_RETURN(NodeId kwargs, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId args, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId cls, Pop());
        PARLEY_RETURN_IF_ERROR(Expect(args, NodeKind::kTuple, "NEWOBJ_EX"));
        PARLEY_RETURN_IF_ERROR(Expect(kwargs, NodeKind::kDict, "NEWOBJ_EX"));
        return NewObject(cls);
      }
      case 'b': {  // BUILD: sets an object's state
        LIMA_ASSIGN_OR_RETURN(NodeId state, Pop());
        LIMA_ASSIGN_OR_RETURN(NodeId object, Top());
        PARLEY_RETURN_IF_ERROR(Expect(object, NodeKind::kObject, "BUILD"));
        tree_.nodes_[object].state = state;
        return Status::Ok();
      }
      case 0x94: {  // MEMOIZE
        LIMA_ASSIGN_OR_RETURN(NodeId top, Top());
        const auto index = static_cast<uint32_t>(memo_.size());
        memo_[index] = top;
        return Status::Ok();
      }
      case 'q':    // BINPUT
      case 'r': {  // LONG_BINPUT
        LIMA_ASSIGN_OR_RETURN(uint64_t index, ReadUint(op == 'q' ? 1 : 4));
        LIMA_ASSIGN_OR_RETURN(NodeId top, Top());
        if (memo_.size() >= limits_.max_nodes && !memo_.contains(static_cast<uint32_t>(index))) {
          return Fail("too many memo entries");
        }
        memo_[static_cast<uint32_t>(index)] = top;
        return Status::Ok();
      }
      case 'h':    // BINGET
      case 'j': {  // LONG_BINGET
        LIMA_ASSIGN_OR_RETURN(uint64_t index, ReadUint(op == 'h' ? 1 : 4));
        auto it = memo_.find(static_cast<uint32_t>(index));
        if (it == memo_.end()) {
          return Fail("memo entry " + std::to_string(index) + " was never stored");
        }
        return Push(it->second);
      }
      case 'P':
      case 'Q':
        return Fail("persistent ids are refused");
      case 0x82:
      case 0x83:
      case 0x84:
        return Fail("extension registry codes are refused");
      case 'i':
      case 'o':
        return Fail("INST and OBJ (calls of protocol 0/1) are refused");
      case 0x96:
      case 0x97:
      case 0x98:
        return Fail("protocol 5 buffers are refused");
      default:
        return Fail("unsupported opcode 0x" + Hex(op));
    }
  }

  Status Reduce(NodeId callable, NodeId args) {
    PARLEY_RETURN_IF_ERROR(Expect(args, NodeKind::kTuple, "REDUCE"));
    const Callable what = CallableOf(callable);
    const std::vector<NodeId> a = tree_.nodes_[args].items;  // copied: New() may reallocate
    switch (what) {
      case Callable::kSet:
      case Callable::kFrozenSet: {  // set(iterable) / set()
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kSet));
        if (!a.empty()) {
          PARLEY_RETURN_IF_ERROR(CopySequence(id, a[0]));
        }
        return Push(id);
      }
      case Callable::kDeque: {  // deque(iterable, maxlen): pysm's Stack
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kList));
        tree_.nodes_[id].cls = callable;
        if (!a.empty()) {
          PARLEY_RETURN_IF_ERROR(CopySequence(id, a[0]));
        }
        return Push(id);
      }
      case Callable::kDefaultDict:
      case Callable::kOrderedDict: {  // the items follow with SETITEMS
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kDict));
        tree_.nodes_[id].cls = callable;
        return Push(id);
      }
      case Callable::kGetattr: {  // getattr(obj, "name"): a bound method, kept as a name
        if (a.size() != 2 || tree_.Str(a[1]) == nullptr) {
          return Fail("getattr needs an object and a name");
        }
        LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kMethodRef));
        tree_.nodes_[id].text = *tree_.Str(a[1]);
        tree_.nodes_[id].state = a[0];
        return Push(id);
      }
      case Callable::kReconstructor: {  // _reconstructor(cls, base, state)
        if (a.empty()) {
          return Fail("_reconstructor needs a class");
        }
        return NewObject(a[0]);
      }
      case Callable::kPysmClass:
      case Callable::kNotCallable:
        break;
    }
    return Fail("refused: the pickle calls " + Describe(callable) +
                ", which is not on the whitelist (pysm classes and containers)");
  }

  Status NewObject(NodeId cls) {
    if (CallableOf(cls) != Callable::kPysmClass) {
      return Fail("refused: the pickle creates an object of " + Describe(cls) +
                  ", which is not a pysm class");
    }
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kObject));
    tree_.nodes_[id].cls = cls;
    return Push(id);
  }

  Callable CallableOf(NodeId id) const {
    const Node& n = tree_.nodes_[id];
    if (n.kind != NodeKind::kGlobal) {
      return Callable::kNotCallable;
    }
    return WhitelistedCallable(n.text, n.name);
  }

  std::string Describe(NodeId id) const {
    const Node& n = tree_.nodes_[id];
    if (n.kind == NodeKind::kGlobal) {
      return Printable(n.text) + "." + Printable(n.name);
    }
    return std::string("a ") + NodeKindName(n.kind);
  }

  Status PushGlobal(std::string_view module, std::string_view name) {
    if (!IsWhitelisted(module, name) && IsForbiddenModule(module)) {
      return Fail("refused: the pickle names " + Printable(module) + "." + Printable(name));
    }
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kGlobal));
    tree_.nodes_[id].text = std::string(module);
    tree_.nodes_[id].name = std::string(name);
    return Push(id);
  }

  // LONG1/LONG4: little-endian two's complement; more than 8 bytes is refused.
  Status Long(uint64_t n) {
    if (n > 8) {
      return Fail("integer of " + std::to_string(n) + " bytes is too large");
    }
    LIMA_ASSIGN_OR_RETURN(std::string_view b, ReadBytes(static_cast<size_t>(n)));
    uint64_t v = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
    }
    if (!b.empty() && b.size() < 8 && (static_cast<uint8_t>(b.back()) & 0x80) != 0) {
      v |= ~uint64_t{0} << (8 * b.size());  // sign extension
    }
    return PushInt(static_cast<int64_t>(v));
  }

  Status PushInt(int64_t v) {
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kInt));
    tree_.nodes_[id].number = v;
    return Push(id);
  }

  Status PushText(NodeKind kind, size_t length_bytes) {
    LIMA_ASSIGN_OR_RETURN(uint64_t n, ReadUint(length_bytes));
    if (n > in_.size() - pos_) {
      return Fail("string of " + std::to_string(n) + " bytes runs past the end");
    }
    LIMA_ASSIGN_OR_RETURN(std::string_view b, ReadBytes(static_cast<size_t>(n)));
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(kind));
    tree_.nodes_[id].text = std::string(b);
    return Push(id);
  }

  Status PushNew(NodeKind kind) {
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(kind));
    return Push(id);
  }

  Status TupleOf(size_t n) {
    // Never below the innermost mark, as Python's unpickler (the marked items belong to it).
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (n > stack_.size() - floor) {
      return Fail("stack underflow");
    }
    LIMA_ASSIGN_OR_RETURN(NodeId id, New(NodeKind::kTuple));
    return MoveItemsThenPush(id, stack_.size() - n);
  }

  Status MoveItemsThenPush(NodeId id, size_t from) {
    PARLEY_RETURN_IF_ERROR(MoveItems(id, from));
    return Push(id);
  }

  // Moves the stack above `from` into the container's items.
  Status MoveItems(NodeId id, size_t from) {
    const size_t n = stack_.size() - from;
    PARLEY_RETURN_IF_ERROR(CountItems(n));
    std::vector<NodeId>& items = tree_.nodes_[id].items;
    items.insert(items.end(), stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
    stack_.resize(from);
    return Status::Ok();
  }

  Status AddItems(NodeId id, std::initializer_list<NodeId> values) {
    PARLEY_RETURN_IF_ERROR(CountItems(values.size()));
    std::vector<NodeId>& items = tree_.nodes_[id].items;
    items.insert(items.end(), values.begin(), values.end());
    return Status::Ok();
  }

  // set(x) and deque(x): the elements of a list, tuple or set x.
  Status CopySequence(NodeId target, NodeId source) {
    const Node& s = tree_.nodes_[source];
    if (s.kind != NodeKind::kList && s.kind != NodeKind::kTuple && s.kind != NodeKind::kSet) {
      return Fail(std::string("cannot make a container of a ") + NodeKindName(s.kind));
    }
    PARLEY_RETURN_IF_ERROR(CountItems(s.items.size()));
    const std::vector<NodeId> copy = s.items;
    std::vector<NodeId>& items = tree_.nodes_[target].items;
    items.insert(items.end(), copy.begin(), copy.end());
    return Status::Ok();
  }

  Status CountItems(size_t n) {
    if (n > limits_.max_items - items_) {
      return Fail("too many container items");
    }
    items_ += n;
    return Status::Ok();
  }

  Status Expect(NodeId id, NodeKind kind, const char* op) {
    if (tree_.nodes_[id].kind != kind) {
      return Fail(std::string(op) + " on a " + NodeKindName(tree_.nodes_[id].kind) + ", not a " +
                  NodeKindName(kind));
    }
    return Status::Ok();
  }

  Result<NodeId> New(NodeKind kind) {
    if (tree_.nodes_.size() >= limits_.max_nodes) {
      return Fail("too many values");
    }
    tree_.nodes_.emplace_back();
    tree_.nodes_.back().kind = kind;
    return static_cast<NodeId>(tree_.nodes_.size() - 1);
  }

  Status Push(NodeId id) {
    if (stack_.size() >= limits_.max_stack) {
      return Fail("stack too deep");
    }
    stack_.push_back(id);
    return Status::Ok();
  }

  Result<NodeId> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Fail("stack underflow");
    }
    const NodeId top = stack_.back();
    stack_.pop_back();
    return top;
  }

  Result<NodeId> Top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Fail("stack underflow");
    }
    return stack_.back();
  }

  Result<size_t> PopMark() {
    if (marks_.empty()) {
      return Fail("no mark");
    }
    const size_t mark = marks_.back();
    marks_.pop_back();
    if (mark > stack_.size()) {  // cannot happen while pops respect the mark; kept as a guard
      return Fail("stack underflow below a mark");
    }
    return mark;
  }

  Result<uint64_t> ReadUint(size_t n) {
    LIMA_ASSIGN_OR_RETURN(std::string_view b, ReadBytes(n));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
    }
    return v;
  }

  Result<std::string_view> ReadBytes(size_t n) {
    if (n > in_.size() - pos_) {
      return Fail("truncated");
    }
    std::string_view b = in_.substr(pos_, n);
    pos_ += n;
    return b;
  }

  Result<std::string_view> ReadLine() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos || end - pos_ > 256) {
      return Fail("GLOBAL without a short newline-terminated name");
    }
    std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }

  Status Fail(const std::string& why) const {
    return Status::InvalidArgument("pickle offset " + std::to_string(op_at_) + ": " + why);
  }

  static std::string Hex(uint8_t b) {
    constexpr char kDigits[] = "0123456789abcdef";
    return {kDigits[b >> 4], kDigits[b & 15]};
  }

  // Names quoted in errors: printable ASCII only, at most 64 bytes.
  static std::string Printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
      out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
  }

  std::string_view in_;
  UnpickleLimits limits_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  size_t items_ = 0;
  PickleTree tree_;
  std::vector<NodeId> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, NodeId> memo_;
};

Result<PickleTree> Unpickle(std::string_view data, const UnpickleLimits& limits) {
  Unpickler u(data, limits);
  return u.Run();
}

}  // namespace parley::lima
