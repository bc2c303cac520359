// parley chat FLOW [--as PHONE] [--name NAME]: a console conversation on a simulated clock.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <vector>

#include "app/commands.hpp"
#include "app/flow_files.hpp"
#include "app/offline_server_rules.hpp"
#include "common/strings.hpp"
#include "flow/simulator.hpp"
#include "flow/text.hpp"
#include "flow/transcript.hpp"

namespace parley::app {

namespace {

constexpr const char* kHelp =
    "Type a reply as the contact would. Commands:\n"
    "  /wait DURATION  advance the simulated clock (90s, 2m, 4h, 1d, 1d12h); due timers fire\n"
    "  /undelivered [CODE], /failed [CODE]\n"
    "                  the last message was not delivered (Twilio error code, e.g. 30003)\n"
    "  /state          current state, status and the timers that will fire\n"
    "  /timers         pending timers, due in the contact's time zone\n"
    "  /vars           session variables\n"
    "  /reset          start a new session (as `parley start` does)\n"
    "  /quit           leave (so does end of input)\n"
    "STOP, START and HELP (and Twilio's other keywords) behave as on the server; a flow with\n"
    "triggers starts when one is sent.\n";

struct ChatOptions {
  std::string flow;
  std::string phone = std::string(flow::kTranscriptDefaultPhone);
  std::string name;
  std::string tz;
};

class Chat {
 public:
  Chat(std::shared_ptr<const flow::Flow> flow, flow::Contact contact)
      : sim_(std::move(flow), std::move(contact), *flow::ParseUtc(flow::kTranscriptDefaultClock)),
        rules_(ServerComplianceRules()) {
    sim_.set_compliance(rules_);
  }

  // As the server: a flow with triggers starts when the contact sends one (the session
  // begins on that message); one without starts at once, as `parley start` does.
  void Begin() {
    const auto& triggers = sim_.flow().triggers;
    if (triggers.empty()) {
      Start();
      return;
    }
    std::cout << "  [no session yet: flow '" << sim_.flow().id << "' starts when the contact sends "
              << TriggerList() << "; /reset starts it now, as `parley start` does]\n";
  }

  void Print(const flow::Simulator::Record& record) {
    for (const auto& e : record.effects) {
      if (const auto* send = std::get_if<flow::SendEffect>(&e)) {
        std::cout << "< " << send->text << "\n";
        for (const auto& url : send->media) std::cout << "  [media " << url << "]\n";
        if (!send->content_sid.empty()) std::cout << "  [template " << send->content_sid << "]\n";
      } else if (const auto* change = std::get_if<flow::StateChangeEffect>(&e)) {
        std::cout << "  [" << change->from << " -> " << change->to << "]\n";
      } else if (const auto* timer = std::get_if<flow::TimerSetEffect>(&e)) {
        if (timer->name == flow::kExpiryTimer) {
          continue;  // every message pushes it back; /timers shows it
        }
        std::cout << "  [timer " << timer->name << " set for " << FormatUtc(timer->due)
                  << (timer->recur  ? ", recurring"
                      : timer->keep ? ", kept across moves"
                                    : "")
                  << "]\n";
      } else if (const auto* cancel = std::get_if<flow::TimerCancelEffect>(&e)) {
        std::cout << "  [timer " << (cancel->all ? "all" : cancel->name) << " cancelled]\n";
      } else if (const auto* done = std::get_if<flow::CompletedEffect>(&e)) {
        std::cout << "  [session completed: " << done->reason << "]\n";
      } else if (std::holds_alternative<flow::UnmatchedEffect>(e)) {
        std::cout << "  [no edge matched]\n";
      } else if (const auto* stale = std::get_if<flow::StaleTimerEffect>(&e)) {
        std::cout << "  [timer " << stale->name << " ignored: the session moved since]\n";
      }
    }
  }

  void Start() {
    auto r = sim_.Start();
    if (!r.ok()) {
      std::cout << "  [error: " << r.status().message() << "]\n";
      return;
    }
    std::cout << "  [" << FormatUtc(sim_.now()) << " session started in " << sim_.session().state
              << "]\n";
    Print(*r);
  }

  // Returns false on /quit.
  bool Handle(const std::string& line) {
    if (line == "/quit" || line == "/exit") return false;
    if (line == "/help") {
      std::cout << kHelp;
    } else if (line == "/state") {
      std::cout << "  state " << sim_.session().state << " ("
                << flow::SessionStatusName(sim_.session().status) << "), step "
                << sim_.session().step << ", clock " << FormatUtc(sim_.now()) << "\n";
      // A timer set before the session moved (not keep) is dropped as stale when due:
      // it will not fire, so it is not listed.
      for (const auto& t : sim_.timers()) {
        if (t.Applies(sim_.session())) {
          std::cout << "  timer " << t.name << " due " << FormatUtc(t.due) << "\n";
        }
      }
    } else if (line == "/timers") {
      Timers();
    } else if (line == "/vars") {
      std::cout << "  " << json::Serialize(sim_.session().vars) << "\n";
    } else if (line == "/reset") {
      sim_.Reset();
      Start();
    } else if (line.rfind("/wait", 0) == 0) {
      Wait(std::string(TrimAscii(line.substr(5))));
    } else if (line.rfind("/undelivered", 0) == 0 || line.rfind("/failed", 0) == 0) {
      const std::string word = line.substr(1, line.find(' ') - 1);  // npos - 1: to the end
      if (word != "undelivered" && word != "failed") {
        std::cout << "  unknown command " << line << " (/help lists them)\n";
      } else {
        DeliveryFailed(word, std::string(TrimAscii(line.substr(word.size() + 1))));
      }
    } else if (!line.empty() && line[0] == '/') {
      std::cout << "  unknown command " << line << " (/help lists them)\n";
    } else {
      Message(line);
    }
    return true;
  }

 private:
  // An inbound message, in the server's order: compliance keywords, an opted-out contact,
  // a trigger for a contact without a session, then the session's flow.
  void Message(const std::string& line) {
    const bool keyword = rules_.classify(line) != flow::ComplianceKeyword::kNone;
    const bool in_session = sim_.started() && sim_.session().active();
    if (!keyword && !sim_.opted_out() && !in_session) {
      if (IsTrigger(sim_.flow(), line)) {
        Start();  // the trigger is consumed by the start, as on the server
      } else if (!sim_.started()) {
        std::cout << "  [no session: "
                  << (sim_.flow().triggers.empty() ? "" : "not a trigger (" + TriggerList() + "); ")
                  << "/reset starts one]\n";
      } else {
        std::cout << "  [the session is " << flow::SessionStatusName(sim_.session().status) << "; "
                  << (sim_.flow().triggers.empty() ? "" : TriggerList() + " or ")
                  << "/reset starts a new one]\n";
      }
      return;
    }
    auto r = sim_.Inbound(line);
    if (!r.ok()) {
      std::cout << "  [error: " << r.status().message() << "; the session stays in "
                << sim_.session().state << "]\n";
      return;
    }
    if (r->ignored) {
      std::cout << "  [the contact has opted out: nothing reaches a flow until START]\n";
      return;
    }
    Print(*r);
    switch (r->keyword) {
      case flow::ComplianceKeyword::kStop:
        std::cout << "  [STOP: the contact opted out"
                  << (sim_.started() && sim_.session().status == flow::SessionStatus::kOptedOut
                          ? "; the session ended (opted_out)"
                          : "")
                  << "; START opts back in]\n";
        break;
      case flow::ComplianceKeyword::kStart:
        std::cout << "  [START: the contact opted back in; "
                  << (sim_.flow().triggers.empty() ? "" : TriggerList() + " or ")
                  << "/reset starts a session]\n";
        break;
      case flow::ComplianceKeyword::kHelp:
        std::cout << "  [HELP: answered by parley (PARLEY_HELP_TEXT), not the flow]\n";
        break;
      case flow::ComplianceKeyword::kNone:
        break;
    }
  }

  // "JOIN or CHECKIN", as normalized ("join or checkin").
  std::string TriggerList() const {
    std::string out;
    const auto& triggers = sim_.flow().triggers;
    for (size_t i = 0; i < triggers.size(); ++i) {
      out += (i == 0 ? "" : i + 1 == triggers.size() ? " or " : ", ") + triggers[i];
    }
    return out;
  }

  void DeliveryFailed(const std::string& status, const std::string& code) {
    auto r = sim_.DeliveryFailed(status, code);
    if (!r.ok()) {
      std::cout << "  [error: " << r.status().message() << "]\n";
    } else if (r->effects.empty()) {
      std::cout << "  [no delivery_failed edge here: nothing happens]\n";
    } else {
      Print(*r);
    }
  }

  // Pending timers in due order with their due time in the contact's zone (else the flow's,
  // else UTC), as `at` timers resolve it; stale ones are marked, not hidden.
  void Timers() {
    const std::string& contact_zone = sim_.contact().time_zone;
    const std::string zone = !contact_zone.empty() && flow::IsValidTimeZone(contact_zone)
                                 ? contact_zone
                             : !sim_.flow().time_zone.empty() ? sim_.flow().time_zone
                                                              : "UTC";
    std::vector<flow::Simulator::PendingTimer> timers = sim_.timers();
    std::sort(timers.begin(), timers.end(),
              [](const auto& a, const auto& b) { return a.due < b.due; });
    if (timers.empty()) {
      std::cout << "  no pending timers\n";
    }
    for (const auto& t : timers) {
      const std::string name = t.name == flow::kExpiryTimer ? "session expiry" : "timer " + t.name;
      std::cout << "  " << name << " due " << flow::FormatLocal(t.due, zone) << " (" << zone << ")"
                << (t.recur ? ", recurring" : "")
                << (t.Applies(sim_.session()) ? "" : ", stale: will be dropped") << "\n";
    }
  }

  void Wait(const std::string& arg) {
    auto d = flow::ParseDuration(arg);
    if (!d.ok()) {
      std::cout << "  " << d.status().message() << "\n";
      return;
    }
    auto fired = sim_.Advance(std::chrono::duration_cast<Duration>(*d));
    if (!fired.ok()) {
      std::cout << "  [error in a timer: " << fired.status().message() << "]\n";
      return;
    }
    for (const auto& record : *fired) {
      std::cout << "  [" << FormatUtc(record.at) << " timer " << record.event.timer << " fired]\n";
      Print(record);
    }
    std::cout << "  [clock now " << FormatUtc(sim_.now()) << "]\n";
  }

  flow::Simulator sim_;
  flow::ComplianceRules rules_;
};

int RunChat(const ChatOptions& opts) {
  const LoadedFlow loaded = LoadFlowFile(opts.flow);
  PrintDiagnostics(loaded, std::cerr);
  if (!loaded.result.flow) {
    return kExitFailure;
  }
  flow::Contact contact;
  contact.phone = opts.phone;
  contact.name = opts.name;
  contact.time_zone = opts.tz;
  const bool tty = isatty(STDIN_FILENO) != 0;
  std::cout << "parley chat: flow '" << loaded.result.flow->id << "' as " << opts.phone
            << ". /help for commands.\n";
  Chat chat(loaded.result.flow, contact);
  chat.Begin();
  std::string line;
  while (true) {
    if (tty) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!tty) std::cout << "> " << line << "\n";
    if (!chat.Handle(line)) break;
  }
  return kExitOk;
}

}  // namespace

void AddChatCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ChatOptions>();
  CLI::App* cmd = app.add_subcommand("chat", "Talk to a flow in the console (simulated clock)");
  cmd->add_option("FLOW", opts->flow, "Flow file")->required();
  cmd->add_option("--as", opts->phone, "The contact's phone number");
  cmd->add_option("--name", opts->name, "The contact's name ({{contact.name}})");
  cmd->add_option("--tz", opts->tz, "The contact's IANA time zone (for `at` timers and /timers)");
  cmd->callback([opts, &exit_code] { exit_code = RunChat(*opts); });
}

}  // namespace parley::app
