#include "app/server_app.hpp"

#include <mutex>
#include <thread>

#include "app/flow_folder.hpp"
#include "channel/dryrun/dryrun_channel.hpp"
#include "channel/outbox_sender.hpp"
#include "common/log.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "store/store.hpp"
#include "webhook/conversations.hpp"
#include "webhook/inbound_handler.hpp"

namespace parley::app {

namespace {

void Info(std::string_view m) { Log(LogLevel::kInfo, m); }
void Warn(std::string_view m) { Log(LogLevel::kWarning, m); }

void AppendCounter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" counter\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

Status CheckSchema(store::Store& store) {
  auto version = store.SchemaVersion();
  if (!version.ok()) {
    return version.status();
  }
  const int latest = store.LatestSchemaVersion();
  if (*version > latest) {
    return Status::FailedPrecondition("the database schema is version " + std::to_string(*version) +
                                      " but this parley knows only up to " +
                                      std::to_string(latest) +
                                      ": a newer parley migrated it; run that version (or newer)");
  }
  if (*version < latest) {
    return Status::FailedPrecondition("the database schema is version " + std::to_string(*version) +
                                      "; this parley needs " + std::to_string(latest) +
                                      ": run `parley migrate` first (or `parley serve --migrate`)");
  }
  return Status::Ok();
}

Result<std::shared_ptr<const webhook::FlowCatalog>> LoadCatalog(const std::string& dir,
                                                                store::Store& store,
                                                                TimePoint now) {
  auto folder = LoadFlowFolder(dir);
  if (!folder.ok()) {
    return folder.status();
  }
  std::vector<std::shared_ptr<const flow::Flow>> flows;
  for (const FolderFlow& f : *folder) {
    PARLEY_RETURN_IF_ERROR(store.SaveFlow({f.flow->id, f.flow->revision, f.source, now}));
    Info("flow '" + f.flow->id + "' revision " + f.flow->revision + " from " + f.path);
    flows.push_back(f.flow);
  }
  return webhook::FlowCatalog::Build(std::move(flows));
}

struct ServerApp::Parts {
  std::unique_ptr<store::Store> store;
  std::mutex flows_mu;
  std::shared_ptr<const webhook::FlowCatalog> flows;
  webhook::ConversationCounters counters;
  std::unique_ptr<channel::Channel> channel;
  std::unique_ptr<channel::OutboxSender> sender;
  std::unique_ptr<webhook::Conversations> conversations;
  std::unique_ptr<webhook::InboundHandler> inbound;
  http::Registry registry;
  http::HttpMetrics http_metrics{registry};
  std::unique_ptr<http::Server> server;

  std::shared_ptr<const webhook::FlowCatalog> Flows() {
    std::lock_guard lock(flows_mu);
    return flows;
  }
  std::string Metrics() const {
    std::string out = registry.RenderText();
    AppendCounter(out, "parley_inbound_messages_total", "Inbound messages recorded.",
                  counters.inbound.load());
    AppendCounter(out, "parley_duplicate_messages_total",
                  "Webhook retries of a MessageSid already recorded.", counters.duplicates.load());
    AppendCounter(out, "parley_signature_failures_total",
                  "Webhooks refused for a missing or wrong X-Twilio-Signature.",
                  inbound->signature_failures());
    AppendCounter(out, "parley_bad_webhooks_total", "Webhooks refused as malformed (400/415).",
                  inbound->bad_requests());
    AppendCounter(out, "parley_transitions_total", "Flow edges taken.",
                  counters.transitions.load());
    AppendCounter(out, "parley_unmatched_events_total", "Events no edge matched.",
                  counters.unmatched.load());
    AppendCounter(out, "parley_sessions_started_total", "Sessions started.",
                  counters.sessions_started.load());
    AppendCounter(out, "parley_opt_outs_total", "STOP-family opt-outs.", counters.opt_outs.load());
    AppendCounter(out, "parley_flow_errors_total", "Events failed by a flow handler error.",
                  counters.flow_errors.load());
    AppendCounter(out, "parley_errors_total", "Webhooks answered 500 or 503.", inbound->errors());
    return out;
  }
};

ServerApp::ServerApp(Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

ServerApp::~ServerApp() { Stop(); }

uint16_t ServerApp::port() const { return parts_ && parts_->server ? parts_->server->port() : 0; }

Status ServerApp::Start() {
  auto parts = std::make_unique<Parts>();
  Info("starting parley: " + config_.Describe());

  // More HTTP workers than cores (they block on the database), but a PostgreSQL pool sized
  // to the cores: the database's own processes share them, and past a few connections per
  // core it only adds contention (measured: p99 at 1,000 msg/s 49 ms with 16 connections,
  // 12 ms with 6, on 2 cores). Workers beyond the pool wait for a connection.
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int workers = config_.workers > 0 ? config_.workers : std::max(16, 4 * cores);
  store::ConnectOptions connect;
  connect.pool_size = std::min(workers, std::max(4, 3 * cores));
  auto store = store::OpenStore(config_.database_url, connect);
  if (!store.ok()) {
    return store.status();
  }
  parts->store = std::move(*store);
  PARLEY_RETURN_IF_ERROR(CheckSchema(*parts->store));

  auto catalog = LoadCatalog(config_.flows_dir, *parts->store, clock_.Now());
  if (!catalog.ok()) {
    return catalog.status();
  }
  parts->flows = std::move(*catalog);
  if (!config_.start_flow.empty() && !parts->flows->Find(config_.start_flow)) {
    return Status::InvalidArgument("configuration: PARLEY_START_FLOW: no flow '" +
                                   config_.start_flow + "' in " + config_.flows_dir);
  }

  if (config_.has_twilio_credentials()) {
    Warn(
        "Twilio credentials are set but REST delivery arrives with the delivery work; "
        "outbound messages are recorded as simulated (dry-run)");
  } else {
    Info("no Twilio credentials: dry-run channel, outbound messages are recorded as simulated");
  }
  parts->channel = std::make_unique<channel::DryRunChannel>();
  channel::OutboxSenderOptions sender_options;
  sender_options.log = [](std::string_view m) { Log(LogLevel::kError, m); };
  parts->sender = std::make_unique<channel::OutboxSender>(*parts->store, *parts->channel, clock_,
                                                          sender_options);

  webhook::ConversationOptions conversation_options;
  conversation_options.help_text = config_.help_text;
  conversation_options.start_flow = config_.start_flow;
  conversation_options.inline_replies = config_.reply_mode == ReplyMode::kTwiml;
  conversation_options.sms_from = config_.twilio_phone_number;
  conversation_options.whatsapp_from = config_.twilio_whatsapp_number;
  Parts* p = parts.get();
  parts->conversations = std::make_unique<webhook::Conversations>(
      *parts->store, [p] { return p->Flows(); }, conversation_options, parts->counters);
  parts->conversations->set_on_queued([p] { p->sender->Wake(); });

  if (!config_.validate_signature) {
    Warn(
        "PARLEY_VALIDATE_SIGNATURE=false: webhooks are NOT checked for Twilio's signature; "
        "anyone who can reach this server can post messages as any contact");
  } else if (config_.twilio_auth_token.empty()) {
    Warn("TWILIO_AUTH_TOKEN is not set: every webhook will be refused with 403 until it is");
  }
  webhook::InboundOptions inbound_options;
  inbound_options.auth_token = config_.twilio_auth_token;
  inbound_options.public_url = config_.public_url;
  inbound_options.validate_signature = config_.validate_signature;
  inbound_options.default_region = config_.default_region;
  inbound_options.log = [](std::string_view m) { Log(LogLevel::kWarning, m); };
  parts->inbound =
      std::make_unique<webhook::InboundHandler>(*parts->conversations, clock_, inbound_options);

  http::Router router;
  const auto webhook = [p](const http::Request& r) { return (*p->inbound)(r); };
  router.Add("POST", "/twilio/messages", webhook);
  router.Add("POST", "/user-reply/", webhook);  // LIMA's URL, so Twilio needs no change
  router.Add("GET", "/healthz",
             [](const http::Request&) { return http::Response::Text(200, "ok\n"); });
  router.Add("GET", "/readyz", [p](const http::Request&) {
    if (Status s = p->store->Ping(); !s.ok()) {
      return http::Response::Text(503, "database unreachable\n");
    }
    if (Status s = CheckSchema(*p->store); !s.ok()) {
      return http::Response::Text(503, "database schema not current\n");
    }
    return http::Response::Text(200, "ready\n");
  });
  router.Add("GET", "/metrics", [p](const http::Request&) {
    http::Response r;
    r.content_type = std::string(http::Registry::kContentType);
    r.body = p->Metrics();
    return r;
  });

  http::ServerOptions server_options;
  server_options.host = config_.listen_host;
  server_options.port = config_.listen_port;
  server_options.threads = workers;
  server_options.max_body_bytes = config_.max_body_bytes;
  server_options.allowed_hosts = config_.allowed_hosts;
  server_options.access_log = [](std::string_view line) { Log(LogLevel::kInfo, line); };
  server_options.observe = parts->http_metrics.Observer();
  parts->server = std::make_unique<http::Server>(server_options, std::move(router));
  PARLEY_RETURN_IF_ERROR(parts->server->Start());
  parts->sender->Start();
  parts->sender->Wake();  // messages queued before a restart
  parts_ = std::move(parts);
  Info("listening on " + config_.listen_host + ":" + std::to_string(port()) +
       "; Twilio webhook: " + config_.public_url + "/twilio/messages");
  return Status::Ok();
}

void ServerApp::Stop() {
  if (!parts_) {
    return;
  }
  parts_->server->Stop();
  parts_->sender->Stop();
  parts_.reset();
}

Status MigrateDatabase(const std::string& database_url) {
  auto store = store::OpenStore(database_url);
  if (!store.ok()) {
    return store.status();
  }
  auto before = (*store)->SchemaVersion();
  if (!before.ok()) {
    return before.status();
  }
  PARLEY_RETURN_IF_ERROR((*store)->Migrate());
  const int latest = (*store)->LatestSchemaVersion();
  Info(*before == latest ? "database schema is current (version " + std::to_string(latest) + ")"
                         : "migrated the database schema from version " + std::to_string(*before) +
                               " to " + std::to_string(latest));
  return Status::Ok();
}

}  // namespace parley::app
