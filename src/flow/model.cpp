#include "flow/model.hpp"

namespace parley::flow {

size_t Flow::EdgeCount() const {
  size_t n = 0;
  for (const State& s : states) {
    n += s.edges.size();
  }
  return n;
}

}  // namespace parley::flow
