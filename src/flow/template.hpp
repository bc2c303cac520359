// Message templates: "Hi {{name}}, your reading was {{reading}}."
//
// Placeholders: {{var}} (a session variable; dotted paths reach into objects: {{a.b}}),
// {{reply}} (the inbound text), {{contact.name}}, {{contact.phone}}, {{contact.channel}},
// {{contact.<field>}} (a custom field). Spaces inside the braces are ignored. An unknown or
// unset name renders as "". Output is plain text: no HTML escaping.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"
#include "flow/session.hpp"

namespace parley::flow {

struct TemplateScope {
  const json::Value& vars;  // an object
  const Event& event;       // reply text and contact
};

std::string RenderTemplate(std::string_view tmpl, const TemplateScope& scope);

// The placeholder names used in `tmpl`, in order ("name", "contact.name", ...). Fails with
// a message naming the offset if a "{{" is never closed or a placeholder is empty.
Result<std::vector<std::string>> TemplatePlaceholders(std::string_view tmpl);

// The same without copies: calls `use` with each name (a view into `tmpl`) up to the first
// error, then returns it.
Status ForEachPlaceholder(std::string_view tmpl,
                          const std::function<void(std::string_view name)>& use);

}  // namespace parley::flow
