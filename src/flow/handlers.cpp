#include "flow/handlers.hpp"

namespace parley::flow {

std::vector<std::string> HandlerRegistry::ConditionNames() const {
  std::vector<std::string> names;
  for (const auto& [name, fn] : conditions_) {
    names.push_back(name);
  }
  return names;
}

std::vector<std::string> HandlerRegistry::ActionNames() const {
  std::vector<std::string> names;
  for (const auto& [name, fn] : actions_) {
    names.push_back(name);
  }
  return names;
}

}  // namespace parley::flow
