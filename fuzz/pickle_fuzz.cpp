// Fuzzes the LIMA unpickler (lima/pickle_tree.hpp) and the pysm state reader on top of it:
// a pickled state machine in LIMA's database is untrusted input. Any crash, sanitizer report,
// hang or leak is a bug. Seeds: the real pysm pickles in test/fixtures/lima.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lima/pickle_tree.hpp"
#include "lima/pysm_machine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto tree = parley::lima::Unpickle(input);
  if (tree.ok()) {
    (void)parley::lima::PysmLeafStateName(*tree);
    (void)tree->QualifiedName(tree->root());
  }
  return 0;
}
