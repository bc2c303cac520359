#include "conversation/flow_catalog.hpp"

#include "flow/text.hpp"

namespace parley::conversation {

Result<std::shared_ptr<const FlowCatalog>> FlowCatalog::Build(
    std::vector<std::shared_ptr<const flow::Flow>> flows) {
  auto catalog = std::make_shared<FlowCatalog>();
  for (const auto& f : flows) {
    if (!catalog->by_id_.emplace(f->id, f).second) {
      return Status::InvalidArgument("two flows have the id '" + f->id +
                                     "': give one a different \"flow\" key or file name");
    }
    for (const std::string& keyword : f->triggers) {
      const auto [it, added] = catalog->by_trigger_.emplace(keyword, f);
      if (!added) {
        return Status::InvalidArgument("the trigger keyword '" + keyword + "' starts both flow '" +
                                       it->second->id + "' and '" + f->id + "'");
      }
    }
  }
  catalog->flows_ = std::move(flows);
  return std::shared_ptr<const FlowCatalog>(std::move(catalog));
}

std::shared_ptr<const flow::Flow> FlowCatalog::Find(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::shared_ptr<const flow::Flow> FlowCatalog::FindByTrigger(std::string_view reply) const {
  if (by_trigger_.empty()) {
    return nullptr;
  }
  const auto it = by_trigger_.find(flow::NormalizeReply(reply));
  return it == by_trigger_.end() ? nullptr : it->second;
}

}  // namespace parley::conversation
