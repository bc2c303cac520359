// Built-in actions, and the calls into script and native actions.
#include "common/strings.hpp"
#include "flow/detail/step_context.hpp"
#include "flow/template.hpp"

namespace parley::flow::detail {

namespace {

json::Value RenderValue(const json::Value& v, const TemplateScope& scope) {
  if (v.is_string()) {
    return json::Value(RenderTemplate(v.as_string(), scope));
  }
  return v;
}

}  // namespace

Status Run(const ActionList& actions, StepContext& ctx) {
  for (const Action& action : actions) {
    const TemplateScope scope{ctx.vars(), ctx.event()};
    Status status = std::visit(
        [&](const auto& a) -> Status {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, act::Send>) {
            SendEffect send;
            send.text = RenderTemplate(a.text, scope);
            send.media = a.media;
            if (a.whatsapp) {
              send.content_sid = a.whatsapp->content_sid;
              for (const auto& [k, v] : a.whatsapp->variables) {
                send.content_variables.emplace(k, RenderTemplate(v, scope));
              }
            }
            ctx.Send(std::move(send));
          } else if constexpr (std::is_same_v<T, act::Save>) {
            if (ctx.event().kind != Event::Kind::kMessage) {
              return Status::Ok();  // nothing was said: keep the variable as it was
            }
            if (!a.as_number) {
              ctx.Set(a.var, json::Value(std::string(TrimAscii(ctx.event().text))));
            } else if (const auto& n = ctx.ReplyNumber()) {
              ctx.Set(a.var, json::Value(*n));
            } else {
              ctx.Unset(a.var);
            }
          } else if constexpr (std::is_same_v<T, act::Set>) {
            for (const auto& [name, value] : a.values) {
              ctx.Set(name, RenderValue(value, scope));
            }
          } else if constexpr (std::is_same_v<T, act::Inc>) {
            const json::Value* v = ctx.vars().Find(a.var);
            ctx.Set(a.var, json::Value((v != nullptr && v->is_number() ? v->as_number() : 0) + 1));
          } else if constexpr (std::is_same_v<T, act::Unset>) {
            ctx.Unset(a.var);
          } else if constexpr (std::is_same_v<T, act::Timer>) {
            ctx.SetTimer(a);
          } else if constexpr (std::is_same_v<T, act::Cancel>) {
            ctx.Cancel(a.name);
          } else if constexpr (std::is_same_v<T, act::End>) {
            ctx.Finish();
          } else if constexpr (std::is_same_v<T, act::Script>) {
            return ctx.flow().script->RunAction(a.function, ctx);
          } else {
            static_assert(std::is_same_v<T, act::Native>);
            return (*a.fn)(ctx);
          }
          return Status::Ok();
        },
        action.v);
    // A cap first: a script that failed because a request was refused reports the cap.
    PARLEY_RETURN_IF_ERROR(ctx.limit_status());
    PARLEY_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

}  // namespace parley::flow::detail
