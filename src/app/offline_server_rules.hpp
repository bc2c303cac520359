// What the server does around a flow, for the offline tools (`parley chat`, `parley test`):
// the compliance keywords it handles before a message reaches a flow, and the trigger
// keywords that start a session for a contact who has none. One definition, the server's,
// so a conversation behaves offline as it will in production.
#pragma once

#include <string_view>

#include "flow/model.hpp"
#include "flow/simulator.hpp"

namespace parley::app {

// conversation::ClassifyCompliance (no OptOutType offline) and the default help text
// (PARLEY_HELP_TEXT's default, docs/configuration.md).
flow::ComplianceRules ServerComplianceRules();

// Whether `body` is one of the flow's trigger keywords, compared as the server's flow
// catalog does (normalized: case, surrounding punctuation and spaces do not matter).
bool IsTrigger(const flow::Flow& flow, std::string_view body);

}  // namespace parley::app
