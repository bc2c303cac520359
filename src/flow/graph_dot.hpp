// A flow as a Graphviz DOT graph: what `parley graph` prints and what the admin's flow page
// lays out (admin/web/flow_graph.hpp). Pure text; running `dot` is the caller's business.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "flow/model.hpp"

namespace parley::flow {

struct DotOptions {
  // Node ids: false (the CLI) names nodes by their states; true names them n0, n1, ... by
  // StateId (and the start point "start"), so that a program reading dot's layout back finds
  // each state by index whatever its name.
  bool index_ids = false;
  // Extra lines under each state's name in its box (the admin sizes boxes for its numbers);
  // may be null.
  std::function<std::string(StateId)> extra_label;
};

// The graph: the start point, a box per state (terminal ones double circles), an edge per
// flow edge labelled with DescribeCondition (dashed for `@` links), in StateId and edge
// order. Names and labels are escaped for DOT's quoted strings.
std::string ToDot(const Flow& flow, const DotOptions& options = {});

// `s` as the inside of a DOT quoted string: quotes and backslashes escaped, control
// characters (a newline would be a DOT escape) replaced by spaces.
std::string DotEscape(std::string_view s);

}  // namespace parley::flow
