#include "flow/graph_dot.hpp"

#include "flow/describe.hpp"

namespace parley::flow {

std::string DotEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

std::string ToDot(const Flow& f, const DotOptions& options) {
  const auto id = [&](StateId s) {
    return options.index_ids ? "n" + std::to_string(s) : DotEscape(f.states[s].name);
  };
  const std::string start = options.index_ids ? "start" : "__start";
  std::string out =
      "digraph \"" + DotEscape(f.id) + "\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  out += "  \"" + start + "\" [shape=point];\n  \"" + start + "\" -> \"" + id(f.start) + "\";\n";
  for (StateId s = 0; s < f.states.size(); ++s) {
    std::string attrs;
    if (f.states[s].terminal()) {
      attrs = "shape=doublecircle, style=\"\"";
    }
    if (options.extra_label) {
      attrs += std::string(attrs.empty() ? "" : ", ") + "label=\"" + DotEscape(f.states[s].name) +
               "\\n" + DotEscape(options.extra_label(s)) + "\"";
    }
    if (!attrs.empty()) {
      out += "  \"" + id(s) + "\" [" + attrs + "];\n";
    }
  }
  for (StateId s = 0; s < f.states.size(); ++s) {
    for (const Edge& e : f.states[s].edges) {
      out += "  \"" + id(s) + "\" -> \"" + id(e.target) + "\" [label=\"" +
             DotEscape(DescribeCondition(e.condition)) + "\"" + (e.link ? ", style=dashed" : "") +
             "];\n";
    }
  }
  return out + "}\n";
}

}  // namespace parley::flow
