#include "app/lima_import.hpp"

#include <map>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "lima/pysm_machine.hpp"

namespace parley::app {

namespace {

constexpr std::string_view kWhatsAppPrefix = "whatsapp:";

// Text from LIMA's database, quoted for the report: control characters and bytes outside
// printable ASCII shown as \xNN, at most 80 bytes, so a row cannot forge report lines.
std::string Quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > 80) {
    out += "...";
  }
  return out + "'";
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != prefix[i]) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// What one user's import is.
struct UserPlan {
  const LimaUser* user = nullptr;
  conversation::Address address;
  const LimaSession* session = nullptr;  // the one to import, if any
  std::string state;                     // its state in the flow
  json::Value vars = json::Object{};
  std::string notes;  // report lines about its sessions, printed after the contact's line
};

std::string SessionLabel(const LimaSession& s) {
  return "session " + std::to_string(s.id) + " (user " + std::to_string(s.user_id) + ")";
}

// The flow state of a session's pickled machine, or why there is none.
Result<std::string> FlowState(const LimaSession& s, const flow::Flow& flow) {
  if (!s.state.has_value()) {
    if (s.state_bytes > kMaxLimaStateBytes) {
      return Status::InvalidArgument("its pickled state of " + std::to_string(s.state_bytes) +
                                     " bytes is over the limit of " +
                                     std::to_string(kMaxLimaStateBytes));
    }
    return Status::InvalidArgument("it has no pickled state (NULL)");
  }
  auto leaf = lima::PysmLeafStateName(*s.state);
  if (!leaf.ok()) {
    return Status::InvalidArgument("its pickled state cannot be read: " + leaf.status().message());
  }
  std::string name = *leaf;
  // An `@X` node of a LIMA schema is a link to state X.
  if (flow.FindState(name) == nullptr && name.starts_with('@') &&
      flow.FindState(std::string_view(name).substr(1)) != nullptr) {
    name.erase(0, 1);
  }
  const flow::State* state = flow.FindState(name);
  if (state == nullptr) {
    return Status::NotFound("its state " + Quoted(*leaf) + " is not a state of flow '" + flow.id +
                            "'");
  }
  if (state->terminal()) {
    // LIMA's sessions stayed active in a terminal state; in parley reaching one completes
    // the session, so there is nothing to continue.
    return Status::FailedPrecondition("its state '" + name + "' is terminal in flow '" + flow.id +
                                      "': the session is over");
  }
  return name;
}

json::Value SessionVars(const LimaSession& s) {
  json::Object vars;
  if (s.last_user_bgcheck_value.has_value()) {
    vars.emplace_back("last_user_bgcheck_value", json::Value(*s.last_user_bgcheck_value));
  }
  if (s.stop_session_flag.has_value()) {
    vars.emplace_back("stop_session_flag", json::Value(*s.stop_session_flag));
  }
  return vars;
}

// What becomes of a planned session, given the contact as parley has it.
enum class SessionOutcome { kImport, kAlreadyImported, kContactNotActive, kOtherActiveSession };

SessionOutcome Decide(const UserPlan& plan, const flow::Flow& flow,
                      const store::ContactRecord* contact,
                      const std::optional<store::SessionRecord>& active) {
  if (contact != nullptr && contact->status != store::ContactStatus::kActive) {
    return SessionOutcome::kContactNotActive;  // STOP wins: no session for who opted out
  }
  if (!active.has_value()) {
    return SessionOutcome::kImport;
  }
  if (active->session.flow_id == flow.id && active->session.state == plan.state) {
    return SessionOutcome::kAlreadyImported;
  }
  return SessionOutcome::kOtherActiveSession;
}

// The report line of a planned session, counted in `summary`.
std::string SessionLine(SessionOutcome outcome, const UserPlan& plan, const flow::Flow& flow,
                        const store::ContactRecord* contact,
                        const std::optional<store::SessionRecord>& active, bool dry_run,
                        LimaImportSummary& summary) {
  const std::string what = SessionLabel(*plan.session) + ": flow '" + flow.id + "' at " +
                           plan.state + " " + json::Serialize(plan.vars);
  const std::string refused = "cannot import " + SessionLabel(*plan.session) + ": ";
  switch (outcome) {
    case SessionOutcome::kImport:
      ++summary.sessions_imported;
      return what + (dry_run ? ": would be imported\n" : ": imported\n");
    case SessionOutcome::kAlreadyImported:
      ++summary.sessions_existing;
      return what + ": already imported\n";
    case SessionOutcome::kContactNotActive:
      ++summary.refused;
      return refused + "the contact is " + store::ContactStatusName(contact->status) +
             " in parley\n";
    case SessionOutcome::kOtherActiveSession:
      ++summary.refused;
      return refused + "the contact already has an active session (flow '" +
             active->session.flow_id + "' at " + active->session.state + ")\n";
  }
  return "";
}

std::string Who(const UserPlan& plan) {
  const LimaUser& user = *plan.user;
  return "user " + std::to_string(user.id) + " " + plan.address.key +
         (user.name.empty() ? "" : " " + Quoted(user.name));
}

// --dry-run: reports what ImportUser would do, from reads only.
Status ReportUser(const UserPlan& plan, const flow::Flow& flow, store::Store& store,
                  LimaImportSummary& summary, std::ostream& out) {
  auto existing = store.FindContact(plan.address.key);
  if (!existing.ok()) {
    return existing.status();
  }
  const store::ContactRecord* contact = existing->has_value() ? &**existing : nullptr;
  std::optional<store::SessionRecord> active;
  if (contact != nullptr) {
    ++summary.contacts_existing;
    out << Who(plan) << ": contact exists\n";
    auto latest = store.LatestSession(contact->id);
    if (!latest.ok()) {
      return latest.status();
    }
    if (latest->has_value() && (*latest)->session.active()) {
      active = **latest;
    }
  } else {
    ++summary.contacts_created;
    out << Who(plan) << ": contact would be created\n";
  }
  out << plan.notes;
  if (plan.session != nullptr) {
    out << SessionLine(Decide(plan, flow, contact, active), plan, flow, contact, active,
                       /*dry_run=*/true, summary);
  }
  return Status::Ok();
}

// Writes one user's contact and session in one transaction, then reports them.
Status ImportUser(const UserPlan& plan, const flow::Flow& flow, store::Store& store,
                  const LimaImportOptions& options, LimaImportSummary& summary, std::ostream& out) {
  const LimaUser& user = *plan.user;
  auto existing = store.FindContact(plan.address.key);
  if (!existing.ok()) {
    return existing.status();
  }
  auto tx = store.Begin();
  if (!tx.ok()) {
    return tx.status();
  }
  store::ContactRecord init;
  init.address = plan.address.key;
  init.channel = plan.address.channel;
  init.phone = plan.address.phone;
  init.name = user.name;
  init.created_at = options.now;
  auto contact = (*tx)->LockContact(init);
  if (!contact.ok()) {
    return contact.status();
  }
  // Written to `out` only once committed.
  std::string report = Who(plan);
  if (!existing->has_value()) {
    ++summary.contacts_created;
    report += ": contact created\n";
  } else if (contact->name.empty() && !user.name.empty()) {
    ++summary.contacts_existing;
    contact->name = user.name;
    PARLEY_RETURN_IF_ERROR((*tx)->UpdateContact(*contact));
    report += ": contact exists, name set\n";
  } else {
    ++summary.contacts_existing;
    report += ": contact exists\n";
  }
  report += plan.notes;
  if (plan.session != nullptr) {
    auto active = (*tx)->ActiveSession(contact->id);
    if (!active.ok()) {
      return active.status();
    }
    const SessionOutcome outcome = Decide(plan, flow, &*contact, *active);
    if (outcome == SessionOutcome::kImport) {
      store::SessionRecord record;
      record.contact_id = contact->id;
      record.flow_revision = flow.revision;
      record.session.flow_id = flow.id;
      record.session.state = plan.state;
      record.session.vars = plan.vars;
      record.started_at = plan.session->created;
      record.updated_at = options.now;
      PARLEY_RETURN_IF_ERROR((*tx)->SaveSession(record));
    }
    report += SessionLine(outcome, plan, flow, &*contact, *active, /*dry_run=*/false, summary);
  }
  PARLEY_RETURN_IF_ERROR((*tx)->Commit());
  out << report;
  return Status::Ok();
}

}  // namespace

Result<conversation::Address> LimaAddress(const LimaUser& user, std::string_view default_region) {
  std::string_view number = Trim(user.phone_number);
  const bool prefixed = StartsWithNoCase(number, kWhatsAppPrefix);
  if (prefixed) {
    number = Trim(number.substr(kWhatsAppPrefix.size()));
  }
  bool whatsapp = false;
  if (user.chat_type == "WhatsApp") {
    whatsapp = true;
  } else if (user.chat_type == "Default") {
    if (prefixed) {
      return Status::InvalidArgument("phone_number " + Quoted(user.phone_number) +
                                     " is a WhatsApp address but chat_type is 'Default'");
    }
  } else {
    return Status::InvalidArgument("unknown chat_type " + Quoted(user.chat_type) +
                                   " (LIMA has 'Default' and 'WhatsApp')");
  }
  if (number.empty()) {
    return Status::InvalidArgument("phone_number is empty");
  }
  // LIMA's admin saved numbers in E.164 without the '+'.
  const std::string e164 = number.front() == '+' ? std::string(number) : "+" + std::string(number);
  auto address = conversation::ParseAddress((whatsapp ? "whatsapp:" : "") + e164, default_region);
  if (!address.ok()) {
    return Status::InvalidArgument("phone_number " + Quoted(user.phone_number) +
                                   " is not a phone number: " + address.status().message());
  }
  return *address;
}

Result<LimaImportSummary> ImportLima(const LimaData& data, const flow::Flow& flow,
                                     store::Store& store, const LimaImportOptions& options,
                                     std::ostream& out) {
  LimaImportSummary summary;
  std::map<int64_t, std::vector<const LimaSession*>> sessions;  // by user, newest first
  for (const LimaSession& s : data.sessions) {
    sessions[s.user_id].push_back(&s);
  }
  for (const LimaUser& user : data.users) {
    const auto it = sessions.find(user.id);
    const std::vector<const LimaSession*> none;
    const std::vector<const LimaSession*>& active = it == sessions.end() ? none : it->second;
    auto refuse_sessions = [&](const std::string& why) {
      for (const LimaSession* s : active) {
        ++summary.refused;
        out << "cannot import " << SessionLabel(*s) << ": " << why << "\n";
      }
    };
    if (!user.is_active) {
      ++summary.skipped;
      out << "skipped user " << user.id << ": not active in LIMA (is_active is false)\n";
      refuse_sessions("its user is not active in LIMA");
      continue;
    }
    auto address = LimaAddress(user, options.default_region);
    if (!address.ok()) {
      ++summary.refused;
      out << "cannot import user " << user.id << ": " << address.status().message() << "\n";
      refuse_sessions("its user cannot be imported");
      continue;
    }
    UserPlan plan;
    plan.user = &user;
    plan.address = *address;
    if (!active.empty()) {
      const LimaSession& newest = *active.front();
      for (size_t i = 1; i < active.size(); ++i) {
        ++summary.skipped;
        plan.notes += "skipped " + SessionLabel(*active[i]) +
                      ": an older active session (session " + std::to_string(newest.id) +
                      " is newer)\n";
      }
      auto state = FlowState(newest, flow);
      if (state.ok()) {
        plan.session = &newest;
        plan.state = *state;
        plan.vars = SessionVars(newest);
      } else {
        ++summary.refused;
        plan.notes +=
            "cannot import " + SessionLabel(newest) + ": " + state.status().message() + "\n";
      }
    }
    PARLEY_RETURN_IF_ERROR(options.dry_run ? ReportUser(plan, flow, store, summary, out)
                                           : ImportUser(plan, flow, store, options, summary, out));
  }
  out << (options.dry_run ? "dry run, nothing written: " : "") << "contacts "
      << summary.contacts_created << (options.dry_run ? " to create" : " created") << ", "
      << summary.contacts_existing << " existing; sessions " << summary.sessions_imported
      << (options.dry_run ? " to import" : " imported") << ", " << summary.sessions_existing
      << " already imported; " << summary.refused << " cannot be imported, " << summary.skipped
      << " skipped\n";
  return summary;
}

}  // namespace parley::app
