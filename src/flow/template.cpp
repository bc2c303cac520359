#include "flow/template.hpp"

#include "common/strings.hpp"

namespace parley::flow {

namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";
constexpr std::string_view kContactPrefix = "contact.";

void AppendLookup(std::string_view name, const TemplateScope& scope, std::string& out) {
  if (name == "reply") {
    out += scope.event.text;
    return;
  }
  const Contact& contact = scope.event.contact;
  if (StartsWith(name, kContactPrefix)) {
    const std::string_view field = name.substr(kContactPrefix.size());
    if (field == "name") {
      out += contact.name;
    } else if (field == "phone") {
      out += contact.phone;
    } else if (field == "channel") {
      out += contact.channel;
    } else if (const auto it = contact.fields.find(std::string(field));
               it != contact.fields.end()) {
      out += it->second;
    }
    return;
  }
  // A variable, possibly a dotted path into nested objects.
  const json::Value* v = &scope.vars;
  while (v != nullptr && !name.empty()) {
    const size_t dot = name.find('.');
    v = v->Find(name.substr(0, dot));
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  if (v != nullptr) {
    out += json::ToDisplayString(*v);
  }
}

}  // namespace

std::string RenderTemplate(std::string_view tmpl, const TemplateScope& scope) {
  std::string out;
  out.reserve(tmpl.size() + 16);
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find(kOpen, i);
    if (open == std::string_view::npos) {
      break;
    }
    const size_t close = tmpl.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos) {
      break;  // the loader rejects this; render the rest literally
    }
    out.append(tmpl.substr(i, open - i));
    AppendLookup(TrimAscii(tmpl.substr(open + kOpen.size(), close - open - kOpen.size())), scope,
                 out);
    i = close + kClose.size();
  }
  out.append(tmpl.substr(i));
  return out;
}

Result<std::vector<std::string>> TemplatePlaceholders(std::string_view tmpl) {
  std::vector<std::string> names;
  PARLEY_RETURN_IF_ERROR(
      ForEachPlaceholder(tmpl, [&](std::string_view name) { names.emplace_back(name); }));
  return names;
}

Status ForEachPlaceholder(std::string_view tmpl,
                          const std::function<void(std::string_view name)>& use) {
  size_t i = 0;
  while (true) {
    const size_t open = tmpl.find(kOpen, i);
    if (open == std::string_view::npos) {
      return Status::Ok();
    }
    const size_t close = tmpl.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("'{{' at offset " + std::to_string(open) +
                                     " is never closed with '}}'");
    }
    const std::string_view name =
        TrimAscii(tmpl.substr(open + kOpen.size(), close - open - kOpen.size()));
    if (name.empty()) {
      return Status::InvalidArgument("empty placeholder '{{}}' at offset " + std::to_string(open));
    }
    use(name);
    i = close + kClose.size();
  }
}

}  // namespace parley::flow
