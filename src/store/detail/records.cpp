#include "store/detail/records.hpp"

#include "common/json.hpp"

namespace parley::store::detail {

Result<ContactRecord> ContactFromRow(const Row& row) {
  ContactRecord c;
  c.id = row.Int(0);
  c.address = row.Text(1);
  c.channel = row.Text(2);
  c.phone = row.Text(3);
  c.name = row.Text(4);
  const auto status = ParseContactStatus(row.Text(5));
  if (!status) {
    return Status::Internal("contact " + std::to_string(c.id) + ": unknown stored status '" +
                            std::string(row.Text(5)) + "'");
  }
  c.status = *status;
  c.wa_id = row.Text(6);
  c.language = row.Text(7);
  c.time_zone = row.Text(8);
  c.fields_json = row.Text(9);
  c.last_inbound_at = row.OptTime(10);
  c.created_at = row.Time(11);
  return c;
}

Result<SessionRecord> SessionFromRow(const Row& row) {
  SessionRecord s;
  s.id = row.Int(0);
  s.contact_id = row.Int(1);
  s.session.flow_id = row.Text(2);
  s.flow_revision = row.Text(3);
  s.session.state = row.Text(4);
  auto vars = json::Parse(row.Text(5));
  if (!vars.ok() || !vars->is_object()) {
    return Status::Internal("session " + std::to_string(s.id) +
                            ": stored variables are not a JSON object");
  }
  s.session.vars = std::move(vars).value();
  s.session.step = static_cast<uint64_t>(row.Int(6));
  const auto status = flow::ParseSessionStatus(row.Text(7));
  if (!status) {
    return Status::Internal("session " + std::to_string(s.id) + ": unknown stored status '" +
                            std::string(row.Text(7)) + "'");
  }
  s.session.status = *status;
  s.started_at = row.Time(8);
  s.updated_at = row.Time(9);
  s.ended_at = row.OptTime(10);
  s.end_reason = row.Text(11);
  return s;
}

Result<MessageRecord> MessageFromRow(const Row& row) {
  MessageRecord m;
  m.id = row.Int(0);
  m.contact_id = row.Int(1);
  if (!row.IsNull(2)) {
    m.session_id = row.Int(2);
  }
  m.direction = row.Text(3) == "outbound" ? MessageRecord::Direction::kOutbound
                                          : MessageRecord::Direction::kInbound;
  m.provider_sid = row.Text(4);
  m.from = row.Text(5);
  m.to = row.Text(6);
  m.body = row.Text(7);
  auto media = MediaFromJson(row.Text(8));
  if (!media.ok()) {
    return Status::Internal("message " + std::to_string(m.id) + ": " + media.status().message());
  }
  m.media = std::move(media).value();
  const auto status = ParseMessageStatus(row.Text(9));
  if (!status) {
    return Status::Internal("message " + std::to_string(m.id) + ": unknown stored status '" +
                            std::string(row.Text(9)) + "'");
  }
  m.status = *status;
  m.error_code = row.Text(10);
  m.created_at = row.Time(11);
  if (!row.IsNull(12)) {
    m.reply_to = row.Int(12);
  }
  m.content_sid = row.Text(13);
  m.content_variables = row.Text(14);
  return m;
}

Result<OutboxItem> OutboxFromRow(const Row& row) {
  OutboxItem o;
  o.id = row.Int(0);
  o.message_id = row.Int(1);
  o.contact_id = row.Int(2);
  o.from = row.Text(3);
  o.to = row.Text(4);
  o.body = row.Text(5);
  auto media = MediaFromJson(row.Text(6));
  if (!media.ok()) {
    return Status::Internal("outbox " + std::to_string(o.id) + ": " + media.status().message());
  }
  o.media = std::move(media).value();
  o.attempts = static_cast<int>(row.Int(7));
  o.next_attempt_at = row.Time(8);
  o.created_at = row.IsNull(9) ? o.next_attempt_at : row.Time(9);
  const std::string status(row.IsNull(10) ? std::string_view("active") : row.Text(10));
  const auto contact_status = ParseContactStatus(status);
  if (!contact_status) {
    return Status::Internal("outbox " + std::to_string(o.id) + ": contact status '" + status + "'");
  }
  o.contact_status = *contact_status;
  if (!row.IsNull(11)) {
    o.last_inbound_at = row.Time(11);
  }
  o.content_sid = row.Text(12);
  o.content_variables = row.Text(13);
  return o;
}

TimerRecord TimerFromRow(const Row& row) {
  TimerRecord t;
  t.session_id = row.Int(0);
  t.name = row.Text(1);
  t.due = row.Time(2);
  t.step = static_cast<uint64_t>(row.Int(3));
  t.keep = row.Int(4) != 0;
  t.contact_id = row.Int(5);
  if (!row.IsNull(6)) {
    flow::TimerRecurrence r;
    r.every = std::chrono::seconds(row.Int(6));
    if (!row.IsNull(7)) {
      r.at = std::chrono::seconds(row.Int(7));
      r.time_zone = row.IsNull(8) ? "UTC" : std::string(row.Text(8));
    }
    t.recur = std::move(r);
  }
  return t;
}

TimerRecord ClaimedTimerFromRow(const Row& row) {
  TimerRecord t = TimerFromRow(row);
  for (int col = 9; col <= 11; ++col) {
    if (row.IsNull(col)) {
      return t;  // the contact is gone: the scheduler reports it
    }
  }
  t.contact =
      TimerContact{std::string(row.Text(9)), std::string(row.Text(10)), std::string(row.Text(11))};
  return t;
}

std::string MediaToJson(const std::vector<std::string>& media) {
  if (media.empty()) {
    return "[]";
  }
  json::Array a;
  a.reserve(media.size());
  for (const std::string& url : media) {
    a.emplace_back(url);
  }
  return json::Serialize(json::Value(std::move(a)));
}

Result<std::vector<std::string>> MediaFromJson(std::string_view text) {
  std::vector<std::string> media;
  if (text == "[]") {
    return media;
  }
  auto parsed = json::Parse(text);
  if (!parsed.ok() || !parsed->is_array()) {
    return Status::Internal("stored media is not a JSON array");
  }
  for (const json::Value& v : parsed->as_array()) {
    if (!v.is_string()) {
      return Status::Internal("stored media holds a non-string");
    }
    media.push_back(v.as_string());
  }
  return media;
}

const char* DirectionName(MessageRecord::Direction d) {
  return d == MessageRecord::Direction::kOutbound ? "outbound" : "inbound";
}

}  // namespace parley::store::detail
