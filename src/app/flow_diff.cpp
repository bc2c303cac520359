#include "app/flow_diff.hpp"

#include <algorithm>

namespace parley::app {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void AddRename(FlowDiff& diff, const std::string& from, const std::string& to) {
  const bool known = std::any_of(diff.renamed.begin(), diff.renamed.end(),
                                 [&](const auto& r) { return r.from == from || r.to == to; });
  if (!known && Contains(diff.removed, from) && Contains(diff.added, to)) {
    diff.renamed.push_back({from, to});
  }
}

}  // namespace

FlowDiff DiffFlows(const flow::Flow& old_flow, const flow::Flow& new_flow) {
  FlowDiff diff;
  diff.on_missing_state = new_flow.on_missing_state;
  for (const flow::State& s : old_flow.states) {
    if (new_flow.FindState(s.name) == nullptr) {
      diff.removed.push_back(s.name);
    }
  }
  for (const flow::State& s : new_flow.states) {
    if (old_flow.FindState(s.name) == nullptr) {
      diff.added.push_back(s.name);
    }
  }
  if (diff.removed.empty() || diff.added.empty()) {
    return diff;
  }
  AddRename(diff, old_flow.states[old_flow.start].name, new_flow.states[new_flow.start].name);
  for (const flow::State& s : old_flow.states) {
    const flow::State* kept = new_flow.FindState(s.name);
    if (kept == nullptr) {
      continue;
    }
    const size_t edges = std::min(s.edges.size(), kept->edges.size());
    for (size_t i = 0; i < edges; ++i) {
      AddRename(diff, old_flow.states[s.edges[i].target].name,
                new_flow.states[kept->edges[i].target].name);
    }
  }
  return diff;
}

}  // namespace parley::app
