// The flows a server runs, by id and by keyword trigger. Built once from compiled flows and
// then read by every worker thread; a reload builds a new catalog and swaps the pointer
// (readers holding the old one finish on it).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "flow/model.hpp"

namespace parley::conversation {

class FlowCatalog {
 public:
  // Fails with InvalidArgument when two flows share an id or a trigger keyword (which flow
  // a keyword starts must never depend on file order).
  static Result<std::shared_ptr<const FlowCatalog>> Build(
      std::vector<std::shared_ptr<const flow::Flow>> flows);

  // The flow with this id, or null.
  std::shared_ptr<const flow::Flow> Find(std::string_view id) const;
  // The flow whose trigger keywords include the whole reply (compared after
  // flow::NormalizeReply, as triggers are stored), or null.
  std::shared_ptr<const flow::Flow> FindByTrigger(std::string_view reply) const;

  const std::vector<std::shared_ptr<const flow::Flow>>& flows() const { return flows_; }

 private:
  std::vector<std::shared_ptr<const flow::Flow>> flows_;
  std::map<std::string, std::shared_ptr<const flow::Flow>, std::less<>> by_id_;
  std::map<std::string, std::shared_ptr<const flow::Flow>, std::less<>> by_trigger_;
};

}  // namespace parley::conversation
