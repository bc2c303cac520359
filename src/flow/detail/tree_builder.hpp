// The loader's passes over a flow's state tree (loader.cpp reads the document around it).
// One use per compile: Build once, then OriginOf for the warnings. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "common/json_tape.hpp"
#include "flow/detail/loader_context.hpp"
#include "flow/detail/validate.hpp"
#include "flow/model.hpp"

namespace parley::flow::detail {

class TreeBuilder {
 public:
  // `cx`, `tape` and `flow` must outlive the builder.
  TreeBuilder(LoaderContext& cx, const json::Tape& tape, Flow& flow);
  ~TreeBuilder();

  // Collects the nodes of `states` (at `states_path`), defines the flow's states, chooses the
  // start (`start`: the document's "start" value, if any) and compiles every edge into `flow`.
  // Problems go to `cx` as diagnostics.
  void Build(json::TapeValue states, std::string_view states_path,
             std::optional<json::TapeValue> start);
  // Where state `id` is defined (for a state made by a link: the first link to it).
  StateOrigin OriginOf(StateId id) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::flow::detail
