#include "flow/session.hpp"

#include <cmath>

namespace parley::flow {

namespace {
constexpr std::pair<SessionStatus, const char*> kStatusNames[] = {
    {SessionStatus::kActive, "active"},   {SessionStatus::kCompleted, "completed"},
    {SessionStatus::kEnded, "ended"},     {SessionStatus::kOptedOut, "opted_out"},
    {SessionStatus::kExpired, "expired"},
};
}  // namespace

const char* SessionStatusName(SessionStatus s) {
  for (const auto& [status, name] : kStatusNames) {
    if (status == s) {
      return name;
    }
  }
  return "?";
}

std::optional<SessionStatus> ParseSessionStatus(std::string_view s) {
  for (const auto& [status, name] : kStatusNames) {
    if (s == name) {
      return status;
    }
  }
  return std::nullopt;
}

std::string SessionToJson(const Session& s) {
  json::Object o;
  o.emplace_back("flow", s.flow_id);
  o.emplace_back("state", s.state);
  o.emplace_back("vars", s.vars);
  o.emplace_back("step", static_cast<double>(s.step));
  o.emplace_back("status", SessionStatusName(s.status));
  return json::Serialize(json::Value(std::move(o)));
}

Result<Session> SessionFromJson(std::string_view text) {
  auto parsed = json::Parse(text);
  if (!parsed.ok()) {
    return Status::InvalidArgument("session JSON: " + parsed.status().message());
  }
  const json::Value& v = *parsed;
  if (!v.is_object()) {
    return Status::InvalidArgument("session JSON: expected an object");
  }
  Session s;
  const json::Value* flow = v.Find("flow");
  const json::Value* state = v.Find("state");
  const json::Value* vars = v.Find("vars");
  const json::Value* step = v.Find("step");
  const json::Value* status = v.Find("status");
  if (flow == nullptr || !flow->is_string() || state == nullptr || !state->is_string()) {
    return Status::InvalidArgument("session JSON: 'flow' and 'state' must be strings");
  }
  if (vars == nullptr || !vars->is_object()) {
    return Status::InvalidArgument("session JSON: 'vars' must be an object");
  }
  // Range first: converting a double past uint64_t's range is undefined. Steps count events,
  // so 2^53 (every integer below it exact in a double) is far beyond any real one.
  if (step == nullptr || !step->is_number() || step->as_number() < 0 ||
      step->as_number() > 9007199254740992.0 ||
      step->as_number() != std::trunc(step->as_number())) {
    return Status::InvalidArgument("session JSON: 'step' must be a non-negative integer");
  }
  if (status == nullptr || !status->is_string()) {
    return Status::InvalidArgument("session JSON: 'status' must be a string");
  }
  const auto parsed_status = ParseSessionStatus(status->as_string());
  if (!parsed_status) {
    return Status::InvalidArgument("session JSON: unknown status '" + status->as_string() + "'");
  }
  s.flow_id = flow->as_string();
  s.state = state->as_string();
  s.vars = *vars;
  s.step = static_cast<uint64_t>(step->as_number());
  s.status = *parsed_status;
  return s;
}

Event Event::Start(Contact c) {
  Event e;
  e.kind = Kind::kStart;
  e.contact = std::move(c);
  return e;
}

Event Event::Message(std::string text, Contact c, std::vector<std::string> media) {
  Event e;
  e.kind = Kind::kMessage;
  e.text = std::move(text);
  e.media = std::move(media);
  e.contact = std::move(c);
  return e;
}

Event Event::Timer(std::string name, uint64_t step, bool keep, Contact c) {
  Event e;
  e.kind = Kind::kTimer;
  e.timer = std::move(name);
  e.timer_step = step;
  e.timer_keep = keep;
  e.contact = std::move(c);
  return e;
}

Event Event::DeliveryFailed(std::string status, std::string error_code, Contact c) {
  Event e;
  e.kind = Kind::kDeliveryFailed;
  e.delivery_status = std::move(status);
  e.delivery_error = std::move(error_code);
  e.contact = std::move(c);
  return e;
}

}  // namespace parley::flow
