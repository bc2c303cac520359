// A flow's graph on its admin page (docs/admin.md, "Flows"), as inline SVG annotated with
// each state's numbers.
//
// `parley graph` hands flow::ToDot's graph to Graphviz's `dot`; the page draws the same
// graph (states in StateId order, edges in file order, labelled by flow::DescribeCondition)
// but lays it out itself: dot took minutes on a 500-state flow with back edges, and a page
// must answer in milliseconds without a subprocess. The layout is layered: a state's column
// is its distance from the start state (states the start cannot reach come last), rows in
// StateId order; edges forward are curves between columns, other edges arcs above. O(states
// + edges). The DOT text itself is served beside the page for a Graphviz drawing.
//
// Safety: every text (state names, labels, numbers) is XML-escaped here; the SVG has no
// script, no style attribute (the admin's CSP allows neither) and no external reference:
// its look is the stylesheet's (classes state, terminal, start, edge, link).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flow/model.hpp"

namespace parley::admin::web {

struct StateNumbers {
  int64_t now = 0;  // active sessions there
  int64_t entered = 0;
  int64_t left = 0;
  int64_t ended = 0;
};

// `numbers` by StateId (missing entries count as zeros).
std::string FlowGraphSvg(const flow::Flow& flow, const std::vector<StateNumbers>& numbers);

// `text` escaped for XML text and attribute values (& < > " ').
std::string XmlEscape(std::string_view text);

}  // namespace parley::admin::web
