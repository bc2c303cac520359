// parley start PHONE --flow ID [--env FILE]
//
// Starts a conversation: ends the contact's active session, if any, runs the flow's
// initial state (the opt-in question, say) and queues its replies. PHONE is E.164 or, for
// WhatsApp, "whatsapp:+E164"; numbers without a country code use PARLEY_DEFAULT_REGION.
// The replies are sent at once (one pass of the sender; one Twilio could not take now stays
// queued for `parley serve`), or without Twilio credentials recorded as simulated.
#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/runtime.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "conversation/address.hpp"

namespace parley::app {

namespace {

struct StartOptions {
  std::string phone;
  std::string flow;
  std::string env_file;  // --env; empty: .env if present
};

int StartConversation(const StartOptions& o) {
  const auto fail = [](const Status& s) {
    std::cerr << "parley start: " << s.message() << "\n";
    return kExitFailure;
  };
  auto config = LoadCommandConfig(o.env_file);
  if (!config.ok()) {
    return fail(config.status());
  }
  SetLogFormat(config->log_format);
  SetLogLevel(config->log_level);
  auto address = conversation::ParseAddress(o.phone, config->default_region);
  if (!address.ok()) {
    // ParseAddress's message masks the number for logs ("bad address '******34': why"); the
    // user typed it, so the error shows it as typed, with only the why.
    const std::string& m = address.status().message();
    const size_t cut = m.find("': ");
    std::cerr << "parley start: '" << o.phone
              << "': " << (cut == std::string::npos ? m : m.substr(cut + 3)) << "\n";
    return kExitUsage;
  }
  SystemClock clock;
  auto runtime = Runtime::Open(*config, clock);
  if (!runtime.ok()) {
    return fail(runtime.status());
  }
  Runtime& rt = **runtime;
  if (rt.flows()->Find(o.flow) == nullptr) {  // before the contact is recorded
    std::vector<std::string> ids;
    for (const auto& f : rt.flows()->flows()) {
      ids.push_back(f->id);
    }
    const std::string closest = ClosestMatch(o.flow, ids);
    return fail(Status::NotFound("no flow with id '" + o.flow + "' is loaded" +
                                 (closest.empty() ? "" : " (did you mean '" + closest + "'?)")));
  }
  rt.pipeline().Start();  // the sender runs below, once, on this thread
  const std::string key = address->key;
  auto outcome = rt.pipeline().Run(
      {std::move(*address), conversation::StartFlow{o.flow}, conversation::ReplyMode::kQueued});
  rt.pipeline().Stop();
  if (!outcome.ok()) {
    return fail(outcome.status());
  }
  std::cout << "started flow '" << o.flow << "' for " << key << " at state "
            << (outcome->session_state.empty() ? "(ended)" : outcome->session_state) << "\n";
  for (const conversation::Reply& r : outcome->replies) {
    std::cout << "  -> " << r.body
              << (r.content_sid.empty() ? "" : " [WhatsApp template " + r.content_sid + "]")
              << "\n";
  }
  auto drained = rt.sender().DrainOnce();
  if (!drained.ok()) {
    return fail(drained.status());
  }
  if (rt.dry_run()) {
    std::cout << "(dry-run: " << *drained << " message(s) recorded as simulated)\n";
  } else {
    // A message Twilio could not take now stays queued for `parley serve` to retry.
    std::cout << "(" << *drained << " message(s) handed to Twilio)\n";
  }
  return kExitOk;
}

}  // namespace

void AddStartCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<StartOptions>();
  CLI::App* cmd = app.add_subcommand("start", "Start a flow for a contact");
  cmd->add_option("PHONE", options->phone, "+E164, or whatsapp:+E164")->required();
  cmd->add_option("--flow", options->flow, "the flow id")->required();
  cmd->add_option("--env", options->env_file,
                  "the .env file to read; it must exist (default: .env, if present)");
  cmd->callback([options, &exit_code] { exit_code = StartConversation(*options); });
}

}  // namespace parley::app
