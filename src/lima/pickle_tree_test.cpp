// Issue 12 item 3: the minimal, safe unpickler and the state of a pickled pysm machine, on
// real pickles of pysm 0.3.9's classes (test/fixtures/lima, made by make_lima_pickles.py with
// protocols 3 and 4), on pickles that would run code in Python, and on malformed input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "lima/pickle_tree.hpp"
#include "lima/pysm_machine.hpp"
#include "test/support/random_input.hpp"

namespace parley::lima {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("TEST_SOURCE_DIR");
  std::ifstream in(std::string(dir == nullptr ? "." : dir) + "/test/fixtures/lima/" + name,
                   std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Issue 12: the leaf state of real pysm pickles, protocols 3 and 4, flat and nested machines.
TEST(PysmMachineTest, ReadsTheLeafStateOfRealPickles) {
  const std::pair<const char*, const char*> cases[] = {
      {"oy1_p3.pkl", "OY1"},       {"oy1_p4.pkl", "OY1"},     {"on1_p3.pkl", "ON1"},
      {"initbg_p4.pkl", "INITBG"}, {"optin_p4.pkl", "OPTIN"}, {"legacy_p4.pkl", "LEGACY"},
      {"nested_p4.pkl", "OY1"},  // the root's `state` is OPTIN; the leaf inside it is OY1
  };
  for (const auto& [file, state] : cases) {
    const std::string bytes = Fixture(file);
    ASSERT_FALSE(bytes.empty()) << file;
    auto name = PysmLeafStateName(bytes);
    ASSERT_TRUE(name.ok()) << file << ": " << name.status().ToString();
    EXPECT_EQ(*name, state) << file;
  }
}

// Issue 12: the tree keeps pysm's attributes as plain values: handlers as inert global names,
// pysm's default callbacks as method references, sets, deques and defaultdicts as containers.
TEST(PickleTreeTest, KeepsTheMachineAsPlainValues) {
  auto tree = Unpickle(Fixture("oy1_p4.pkl"));
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  const NodeId root = tree->root();
  EXPECT_TRUE(tree->IsInstance(root, "pysm.pysm", "StateMachine"));
  ASSERT_NE(tree->Str(tree->Attr(root, "name")), nullptr);
  EXPECT_EQ(*tree->Str(tree->Attr(root, "name")), "lima-sample");
  const NodeId states = tree->Attr(root, "states");
  ASSERT_NE(states, kNoNode);
  EXPECT_EQ(tree->node(states).kind, NodeKind::kSet);
  EXPECT_EQ(tree->node(states).items.size(), 4u);
  // The current state is the same node as a member of the set (shared references survive).
  const NodeId current = tree->Attr(root, "state");
  bool member = false;
  for (NodeId s : tree->node(states).items) {
    member = member || s == current;
    EXPECT_EQ(tree->Attr(s, "parent"), root);  // the cycle parent <-> states
  }
  EXPECT_TRUE(member);
  const NodeId handlers = tree->Attr(current, "handlers");
  ASSERT_EQ(tree->node(handlers).kind, NodeKind::kDict);
  ASSERT_EQ(tree->node(handlers).items.size(), 2u);
  EXPECT_EQ(tree->QualifiedName(tree->node(handlers).items[1]), "fsm.utils.conditions.ask_name");
  const NodeId stack = tree->Attr(tree->Attr(root, "leaf_state_stack"), "deque");
  ASSERT_EQ(tree->node(stack).kind, NodeKind::kList);
  EXPECT_EQ(tree->QualifiedName(tree->node(stack).cls), "collections.deque");
  EXPECT_EQ(tree->node(stack).items.size(), 1u);  // OPTIN, left for OY1
  const NodeId transitions = tree->Attr(tree->Attr(root, "_transitions"), "_transitions");
  ASSERT_EQ(tree->node(transitions).kind, NodeKind::kDict);
  EXPECT_EQ(tree->QualifiedName(tree->node(transitions).cls), "collections.defaultdict");
  EXPECT_EQ(tree->node(transitions).items.size(), 4u);  // two keys: (OPTIN, ...), (OY1, ...)
}

// Issue 12: a pickle that would run a shell command in Python (os.system through REDUCE,
// hidden in the machine's stack) is refused, naming what it calls; protocols 3 and 4.
TEST(PickleTreeTest, RefusesAPickleThatCallsOsSystem) {
  for (const char* file : {"evil_p3.pkl", "evil_p4.pkl"}) {
    auto tree = Unpickle(Fixture(file));
    ASSERT_FALSE(tree.ok()) << file;
    EXPECT_EQ(tree.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(tree.status().message(), HasSubstr("posix.system")) << file;
  }
}

// Bytes of a literal, NULs included.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}
// A protocol 4 pickle of `body` (opcodes), STOP added.
template <size_t N>
std::string P(const char (&body)[N]) {
  return std::string("\x80\x04", 2) + B(body) + ".";
}
std::string P(const std::string& body) { return std::string("\x80\x04", 2) + body + "."; }

// Issue 12: calls and objects beyond the whitelist, loads by reference, and the other
// refused opcodes.
TEST(PickleTreeTest, RefusesEverythingExecutable) {
  const std::pair<std::string, const char*> cases[] = {
      {P("cmylib\nfn\n)R"), "calls mylib.fn"},          // REDUCE of an unknown global
      {P("cmylib\nThing\n)\x81"), "not a pysm class"},  // NEWOBJ of an unknown class
      {P("cbuiltins\neval\n"), "builtins.eval"},        // even as a plain reference
      {P("csubprocess\nPopen\n"), "subprocess.Popen"},
      {P("\x8c\x02os\x8c\x06system\x93"), "os.system"},  // STACK_GLOBAL
      {P("cbuiltins\ngetattr\n)R"), "getattr needs"},    // getattr with no object
      {P("cpysm.pysm\nState\n}R"), "REDUCE on a dict"},  // args must be a tuple
      {P("\x8c\x01x\x8c\x01y\x86\x8c\x01z\x8c\x01w\x92"), "NEWOBJ_EX on a str"},
      {P("Q"), "persistent"},
      {P("\x82\x01"), "extension"},
      {P("(cpysm.pysm\nState\no"), "INST and OBJ"},
      {P("\x96\x00\x00\x00\x00\x00\x00\x00\x00"), "protocol 5"},
      {P("I1\n"), "unsupported opcode"},  // protocol 0 text
  };
  for (const auto& [bytes, why] : cases) {
    auto tree = Unpickle(bytes);
    ASSERT_FALSE(tree.ok()) << why;
    EXPECT_THAT(tree.status().message(), HasSubstr(why));
  }
}

// Issue 12: malformed input and the bounds.
TEST(PickleTreeTest, RefusesMalformedInputAndBoundsItsSize) {
  const std::pair<std::string, const char*> cases[] = {
      {"", "no PROTO"},
      {B("\x80\x09."), "protocol 9"},
      {P(""), "stack underflow"},
      {B("\x80\x04N"), "no STOP"},
      {P("X\xff\xff\xff\x7f"), "runs past the end"},
      {P("h\x07"), "never stored"},
      {P("Nu"), "no mark"},
      {P("(Nu"), "no container"},
      {P("}(Nu"), "odd number"},
      {P("N\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09"), "too large"},
      {P("Nb"), "stack underflow"},  // BUILD needs an object below the state
      {P("NNb"), "BUILD on a None"},
      {P("NN(\x86"), "stack underflow"},  // TUPLE2 may not take the items below a mark
      {P("N(0"), "stack underflow"},      // nor POP
  };
  for (const auto& [bytes, why] : cases) {
    auto tree = Unpickle(bytes);
    ASSERT_FALSE(tree.ok()) << why;
    EXPECT_THAT(tree.status().message(), HasSubstr(why));
  }
  UnpickleLimits small;
  small.max_nodes = 10;
  EXPECT_THAT(Unpickle(P(std::string(20, 'N') + std::string(19, '0')), small).status().message(),
              HasSubstr("too many values"));
  small = {};
  small.max_marks = 5;
  EXPECT_THAT(Unpickle(P(std::string(6, '(')), small).status().message(),
              HasSubstr("nested marks"));
  small = {};
  small.max_bytes = 100;
  EXPECT_THAT(Unpickle(Fixture("oy1_p4.pkl"), small).status().message(), HasSubstr("limit"));
  // set(list) over and over copies the list: the item budget stops it.
  std::string copies = "]\x94(" + std::string(1000, 'N') + "e";
  for (int i = 0; i < 2000; ++i) {
    copies += B("cbuiltins\nset\nh\x00\x85R0");
  }
  small = {};
  small.max_items = 100'000;
  EXPECT_THAT(Unpickle(P(copies), small).status().message(), HasSubstr("too many container"));
}

// Issue 12: values the machine-reading relies on: ints of every width, floats, bools, bytes.
TEST(PickleTreeTest, ReadsScalars) {
  auto tree =
      Unpickle(P("(J\xfe\xff\xff\xffK\x07M\x01\x02\x8a\x02\x00\x80"
                 "G\x3f\xf8\x00\x00\x00\x00\x00\x00\x88\x89"
                 "C\x02hit"));
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  const Node& t = tree->node(tree->root());
  ASSERT_EQ(t.kind, NodeKind::kTuple);
  ASSERT_EQ(t.items.size(), 8u);
  EXPECT_EQ(tree->node(t.items[0]).number, -2);
  EXPECT_EQ(tree->node(t.items[1]).number, 7);
  EXPECT_EQ(tree->node(t.items[2]).number, 0x0201);
  EXPECT_EQ(tree->node(t.items[3]).number, -32768);
  EXPECT_EQ(tree->node(t.items[4]).real, 1.5);
  EXPECT_EQ(tree->node(t.items[5]).number, 1);
  EXPECT_EQ(tree->node(t.items[6]).number, 0);
  EXPECT_EQ(tree->node(t.items[7]).text, "hi");
}

// Issue 12: what is not a running pysm machine is reported, not guessed.
TEST(PysmMachineTest, ExplainsWhatIsNotAMachine) {
  EXPECT_THAT(PysmLeafStateName(P("N")).status().message(), HasSubstr("not a pysm StateMachine"));
  // A StateMachine whose `state` is None: never initialized.
  EXPECT_THAT(
      PysmLeafStateName(P("cpysm.pysm\nStateMachine\n)\x81}\x8c\x05stateNsb")).status().message(),
      HasSubstr("never initialized"));
  // A machine that is its own state: the walk ends (at the depth bound), with an error.
  auto cycle = PysmLeafStateName(
      P("cpysm.pysm\nStateMachine\n)\x81\x94}(\x8c\x05stateh\x00\x8c\x04name\x8c\x01Lub"));
  EXPECT_FALSE(cycle.ok());
}

// Issue 12: random and mutated bytes (the fixtures with bytes changed) give a tree or an
// error, never a crash; run under ASan/UBSan in `make test`.
TEST(PickleTreeTest, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(12);
  const std::string seeds[] = {Fixture("oy1_p3.pkl"), Fixture("nested_p4.pkl"),
                               Fixture("evil_p4.pkl")};
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string input = i % 3 == 0 ? parley::testing::RandomBytes(rng, 512)
                                         : parley::testing::Mutate(rng, seeds[i % 3]);
    auto tree = Unpickle(input);
    if (tree.ok()) {
      ++parsed;
      (void)PysmLeafStateName(*tree);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace parley::lima
