// parley start PHONE --flow ID [--env FILE]
//
// Starts a conversation: ends the contact's active session, if any, runs the flow's
// initial state (the opt-in question, say) and queues its replies. PHONE is E.164 or, for
// WhatsApp, "whatsapp:+E164"; numbers without a country code use PARLEY_DEFAULT_REGION.
// Without Twilio credentials the replies are recorded as simulated right away and shown.
#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/server_app.hpp"
#include "channel/dryrun/dryrun_channel.hpp"
#include "channel/outbox_sender.hpp"
#include "webhook/address.hpp"
#include "webhook/conversations.hpp"

namespace parley::app {

namespace {

struct StartOptions {
  std::string phone;
  std::string flow;
  std::string env_file = ".env";
};

int StartConversation(const StartOptions& o) {
  const auto fail = [](const Status& s) {
    std::cerr << "parley start: " << s.message() << "\n";
    return kExitFailure;
  };
  auto config = LoadConfig(ProcessEnvironment(), o.env_file);
  if (!config.ok()) {
    return fail(config.status());
  }
  auto address = webhook::ParseAddress(o.phone, config->default_region);
  if (!address.ok()) {
    std::cerr << "parley start: " << o.phone << ": " << address.status().message() << "\n";
    return kExitUsage;
  }
  auto store = store::OpenStore(config->database_url);
  if (!store.ok()) {
    return fail(store.status());
  }
  if (Status s = CheckSchema(**store); !s.ok()) {
    return fail(s);
  }
  SystemClock clock;
  auto catalog = LoadCatalog(config->flows_dir, **store, clock.Now());
  if (!catalog.ok()) {
    return fail(catalog.status());
  }
  webhook::ConversationCounters counters;
  webhook::ConversationOptions options;
  options.sms_from = config->twilio_phone_number;
  options.whatsapp_from = config->twilio_whatsapp_number;
  const std::shared_ptr<const webhook::FlowCatalog> flows = *catalog;
  webhook::Conversations conversations(
      **store, [flows] { return flows; }, options, counters);
  auto outcome = conversations.Start(*address, o.flow, clock.Now());
  if (!outcome.ok()) {
    return fail(outcome.status());
  }
  std::cout << "started flow '" << o.flow << "' for " << address->key << " at state "
            << (outcome->session_state.empty() ? "(ended)" : outcome->session_state) << "\n";
  for (const webhook::Reply& r : outcome->replies) {
    std::cout << "  -> " << r.body << "\n";
  }
  if (!config->has_twilio_credentials()) {
    channel::DryRunChannel dry_run;
    channel::OutboxSender sender(**store, dry_run, clock);
    auto drained = sender.DrainOnce();
    if (!drained.ok()) {
      return fail(drained.status());
    }
    std::cout << "(dry-run: " << *drained << " message(s) recorded as simulated)\n";
  }
  return kExitOk;
}

}  // namespace

void AddStartCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<StartOptions>();
  CLI::App* cmd = app.add_subcommand("start", "Start a flow for a contact");
  cmd->add_option("PHONE", options->phone, "+E164, or whatsapp:+E164")->required();
  cmd->add_option("--flow", options->flow, "the flow id")->required();
  cmd->add_option("--env", options->env_file, "the .env file to read (default .env)");
  cmd->callback([options, &exit_code] { exit_code = StartConversation(*options); });
}

}  // namespace parley::app
