#include "app/offline_server_rules.hpp"

#include <algorithm>

#include "app/config.hpp"
#include "conversation/compliance.hpp"
#include "flow/text.hpp"

namespace parley::app {

flow::ComplianceRules ServerComplianceRules() {
  flow::ComplianceRules rules;
  rules.help_text = Config{}.help_text;
  rules.classify = [](std::string_view body) {
    switch (conversation::ClassifyCompliance(body, "")) {
      case conversation::ComplianceKind::kStop:
        return flow::ComplianceKeyword::kStop;
      case conversation::ComplianceKind::kStart:
        return flow::ComplianceKeyword::kStart;
      case conversation::ComplianceKind::kHelp:
        return flow::ComplianceKeyword::kHelp;
      case conversation::ComplianceKind::kNone:
        break;
    }
    return flow::ComplianceKeyword::kNone;
  };
  return rules;
}

bool IsTrigger(const flow::Flow& flow, std::string_view body) {
  const std::string normalized = flow::NormalizeReply(body);
  return std::find(flow.triggers.begin(), flow.triggers.end(), normalized) != flow.triggers.end();
}

}  // namespace parley::app
