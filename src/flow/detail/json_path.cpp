#include "flow/detail/json_path.hpp"

namespace parley::flow::detail {

std::string JsonPath::str() const {
  std::string out;
  AppendTo(out);
  return out;
}

// Recursion as deep as the chain, which follows the document's nesting (at most
// json::kMaxDepth links) or the loader's own few levels.
void JsonPath::AppendTo(std::string& out) const {
  if (parent_ == nullptr) {
    out.append(text_);
    return;
  }
  parent_->AppendTo(out);
  if (index_ != kNoIndex) {
    out += '[';
    out += std::to_string(index_);
    out += ']';
    return;
  }
  if (!out.empty()) {
    out += '.';
  }
  out.append(text_);
}

}  // namespace parley::flow::detail
