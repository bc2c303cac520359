#include "app/runtime.hpp"

#include <algorithm>
#include <thread>

#include "channel/dryrun/dryrun_channel.hpp"
#include "channel/twilio/twilio_channel.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "scheduler/timer_notices.hpp"

namespace parley::app {

namespace {

void Info(std::string_view m) { Log(LogLevel::kInfo, m); }
void Warn(std::string_view m) { Log(LogLevel::kWarning, m); }

int Cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// Twilio's REST API with credentials in `rest` mode, else the dry-run channel; the log says
// which and why (README: "Sending for real").
Result<std::unique_ptr<channel::Channel>> OpenChannel(const Config& config, const Clock& clock) {
  if (!config.has_twilio_credentials()) {
    Info(
        "no Twilio credentials (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with "
        "TWILIO_API_KEY and TWILIO_API_SECRET): dry-run channel, outbound messages are recorded "
        "as simulated and nothing is sent");
    return std::unique_ptr<channel::Channel>(std::make_unique<channel::DryRunChannel>());
  }
  if (config.reply_mode != ReplyMode::kRest) {
    Info(
        "PARLEY_REPLY_MODE=twiml: replies go back inline in the webhook's TwiML; messages "
        "parley starts itself are recorded as simulated (dry-run), not sent");
    return std::unique_ptr<channel::Channel>(std::make_unique<channel::DryRunChannel>());
  }
  channel::TwilioChannelOptions o;
  o.api_base = config.twilio_api_base;
  o.account_sid = config.twilio_account_sid;
  o.auth_token = config.twilio_auth_token;
  o.api_key = config.twilio_api_key;
  o.api_secret = config.twilio_api_secret;
  o.senders.sms_from = config.twilio_phone_number;
  o.senders.whatsapp_from = config.twilio_whatsapp_number;
  o.senders.messaging_service_sid = config.twilio_messaging_service_sid;
  o.status_callback = config.public_url + "/twilio/status";
  o.http.connect_timeout = Duration(config.twilio_connect_timeout_ms);
  o.http.timeout = Duration(config.twilio_timeout_ms);
  o.clock = &clock;
  auto twilio = channel::TwilioChannel::Create(std::move(o));
  if (!twilio.ok()) {
    return twilio.status();
  }
  if (config.twilio_api_base.starts_with("http://")) {
    Warn(
        "TWILIO_API_BASE is plain http: credentials and messages travel unencrypted (meant "
        "for a local stand-in in tests)");
  }
  const bool key = !config.twilio_api_key.empty() && !config.twilio_api_secret.empty();
  Info("Twilio REST channel: messages are sent through " + config.twilio_api_base +
       " for account " + config.twilio_account_sid + " (" +
       (key ? "API key " + config.twilio_api_key : std::string("auth token")) +
       "); status callbacks to " + config.public_url + "/twilio/status");
  return std::unique_ptr<channel::Channel>(std::move(*twilio));
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
    return Status::FailedPrecondition(
        "the database schema is version " + std::to_string(*version) + "; this parley needs " +
        std::to_string(latest) +
        ": run `parley migrate` first (or `parley serve` without --no-migrate)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config, const Clock& clock) {
  std::unique_ptr<Runtime> rt(new Runtime());
  const bool postgres = !config.database_url.starts_with("sqlite:");
  conversation::PipelineOptions pipeline_options;
  // PostgreSQL: lanes run their round trips concurrently, but every lane is a batch and a
  // commit of its own: on 2 cores, 2 lanes gave 5,300 msg/s (9 events per batch), 3 gave
  // 4,800, 4 gave 4,300 and 8 gave 3,200 (docs/benchmarks.md). One per core, at least 2.
  pipeline_options.lanes = config.pipeline_lanes > 0 ? config.pipeline_lanes
                           : postgres                ? std::max(2, Cores())
                                                     : 1;
  pipeline_options.log = [](std::string_view m) { Log(LogLevel::kError, m); };
  pipeline_options.event_timeout = config.event_timeout;

  store::ConnectOptions connect;
  connect.sqlite_full_sync = config.sqlite_full_sync;
  // Database waits fit in the event budget: past it the webhook has answered 503 anyway, so
  // a lock wait (SQLite's busy timeout, PostgreSQL's lock_timeout) or a statement the server
  // would finish later only holds up the next events.
  connect.busy_timeout = std::min<Duration>(connect.busy_timeout, config.event_timeout);
  connect.statement_timeout = std::max<Duration>(config.event_timeout, std::chrono::seconds(1));
  // One connection per lane, plus the sender and reads (/readyz, the CLI).
  connect.pool_size = pipeline_options.lanes + 2;
  connect.call_latency = &rt->registry_.AddHistogramFamily(
      "parley_db_call_duration_seconds",
      "Database calls by kind: exec (a query waited for), flush (pipelined queries), begin, "
      "commit, script (migrations).",
      {"call"}, metrics::Histogram::LatencyBuckets());
  connect.query_calls = &rt->registry_.AddCounterFamily(
      "parley_db_queries_total", "Statements run, by query name.", {"query"});
  connect.query_nanoseconds = &rt->registry_.AddCounterFamily(
      "parley_db_query_nanoseconds_total",
      "Wall time in statements, by query name (PostgreSQL's pipelined statements count in "
      "their flush instead).",
      {"query"});
  auto store = store::OpenStore(config.database_url, connect);
  if (!store.ok()) {
    return store.status();
  }
  rt->store_ = std::move(*store);
  PARLEY_RETURN_IF_ERROR(CheckSchema(*rt->store_));

  // Handler deadlines are wall-clock time whatever clock the events are stamped with (tests
  // stamp them with a manual one): the real clock, which has no state to outlive.
  static const SystemClock kDeadlineClock;
  FlowReloaderOptions flow_options;
  flow_options.dir = config.flows_dir;
  flow_options.scripts = ScriptSettings{&kDeadlineClock, config.script_timeout};
  flow_options.start_flow = config.start_flow;
  rt->flows_ =
      std::make_unique<FlowReloader>(*rt->store_, clock, rt->registry_, std::move(flow_options));
  PARLEY_RETURN_IF_ERROR(rt->flows_->LoadInitial());
  if (rt->flows()->flows().empty()) {
    Warn("no flows loaded: the flows folder '" + config.flows_dir +
         "' (PARLEY_FLOWS) has no *.json flow files; messages are only recorded, never answered "
         "(and the server's /readyz answers 503)");
  }
  if (!config.start_flow.empty() && !rt->flows()->Find(config.start_flow)) {
    std::vector<std::string> ids;
    for (const auto& f : rt->flows()->flows()) {
      ids.push_back(f->id);
    }
    const std::string closest = ClosestMatch(config.start_flow, ids);
    return Status::InvalidArgument("configuration: PARLEY_START_FLOW: no flow '" +
                                   config.start_flow + "' in " + config.flows_dir +
                                   (closest.empty() ? "" : " (did you mean '" + closest + "'?)"));
  }

  auto channel = OpenChannel(config, clock);
  if (!channel.ok()) {
    return channel.status();
  }
  rt->channel_ = std::move(*channel);
  rt->dry_run_ = dynamic_cast<channel::DryRunChannel*>(rt->channel_.get()) != nullptr;
  channel::OutboxSenderOptions sender_options;
  sender_options.log = [](std::string_view m) { Log(LogLevel::kError, m); };
  sender_options.threads = config.sender_threads;
  // Messages in hand follow the claim batch (256 by default), not the thread count: on
  // PostgreSQL the rounds, not the sending, bound throughput (docs/benchmarks.md,
  // "Delivery"). Many threads get at least 16 each.
  sender_options.batch = std::max(sender_options.batch, channel::OutboxSender::kInHandPerThread *
                                                            std::max(1, config.sender_threads));
  sender_options.max_age = config.send_max_age;
  sender_options.first_retry = config.send_retry_min;
  sender_options.max_retry = config.send_retry_max;
  sender_options.instances = config.send_instances;
  // A send may take the whole request timeout; the lease leaves room for several.
  sender_options.send_timeout = std::chrono::milliseconds(config.twilio_timeout_ms);
  sender_options.lease =
      std::max<Duration>(std::chrono::seconds(60), sender_options.send_timeout * 3);
  // The dry-run channel sends nothing, so there is no rate to keep.
  auto rates = channel::SendRates::Parse(rt->dry_run_ ? "default=0" : config.send_rate);
  if (!rates.ok()) {
    return Status::InvalidArgument("configuration: PARLEY_SEND_RATE: " + rates.status().message());
  }
  sender_options.rates = std::move(*rates);
  sender_options.metrics = &rt->registry_;
  rt->sender_ =
      std::make_unique<channel::OutboxSender>(*rt->store_, *rt->channel_, clock, sender_options);

  conversation::ServiceOptions service_options;
  service_options.help_text = config.help_text;
  service_options.start_flow = config.start_flow;
  service_options.sms_from = config.twilio_phone_number;
  service_options.whatsapp_from = config.twilio_whatsapp_number;
  Runtime* self = rt.get();
  rt->service_ = std::make_unique<conversation::Service>([self] { return self->flows(); },
                                                         service_options, rt->registry_);
  rt->pipeline_ = std::make_unique<conversation::Pipeline>(*rt->store_, *rt->service_, clock,
                                                           pipeline_options, rt->registry_);
  rt->pipeline_->set_on_queued([self] { self->sender_->Wake(); });
  scheduler::SchedulerOptions scheduler_options;
  scheduler_options.grace = config.timer_grace;
  scheduler_options.lease = config.timer_lease;
  // PostgreSQL: other instances' timers arrive by NOTIFY, so the poll is only a safety net.
  // SQLite has no NOTIFY; its poll is a local indexed read.
  scheduler_options.poll_interval = config.timer_poll.value_or(
      postgres ? Duration(std::chrono::seconds(30)) : Duration(std::chrono::seconds(1)));
  scheduler_options.log = [](std::string_view m) { Log(LogLevel::kWarning, m); };
  rt->scheduler_ = std::make_unique<scheduler::Scheduler>(*rt->store_, *rt->pipeline_, clock,
                                                          scheduler_options, rt->registry_);
  auto notifications = store::OpenNotifications(config.database_url);
  if (!notifications.ok()) {
    return notifications.status();
  }
  rt->notifications_ = std::move(*notifications);
  PARLEY_RETURN_IF_ERROR(scheduler::ListenForTimers(*rt->notifications_, *rt->scheduler_));
  // Another instance's reload: this one reloads its own folder, without announcing again.
  auto reload_notices = FlowReloadNotices::Listen(*rt->notifications_, [self] {
    return self->flows_->Reload(FlowReloader::Logging::kChangesOnly);
  });
  if (!reload_notices.ok()) {
    return reload_notices.status();
  }
  rt->reload_notices_ = std::move(*reload_notices);
  const Clock* clock_ptr = &clock;
  rt->pipeline_->set_on_timer_set([self, clock_ptr](TimePoint due) {
    self->scheduler_->Wake(due);
    scheduler::AnnounceTimer(*self->notifications_, due, clock_ptr->Now(),
                             self->scheduler_->poll_interval());
  });
  return rt;
}

Runtime::~Runtime() { Stop(); }

std::shared_ptr<const conversation::FlowCatalog> Runtime::flows() const {
  return flows_->catalog();
}

ReloadReport Runtime::ReloadFlows() {
  ReloadReport report = flows_->Reload();
  reload_notices_->Announce(report);
  return report;
}

void Runtime::Start() {
  if (started_) {
    return;
  }
  started_ = true;
  pipeline_->Start();
  sender_->Start();
  sender_->Wake();  // messages queued before a restart
  reload_notices_->Start();
  notifications_->Start();  // other instances' timers and flow reloads
  scheduler_->Start();      // timers that fell due while parley was down fire first
}

void Runtime::Stop() {
  if (scheduler_) {
    scheduler_->Stop();  // before the pipeline: the timers it submitted are applied
  }
  if (pipeline_) {
    pipeline_->Stop();
  }
  if (notifications_) {
    notifications_->Stop();  // after the pipeline: its last commits' notices go out
  }
  if (reload_notices_) {
    reload_notices_->Stop();  // after notifications_: no handler can set it pending again
  }
  if (sender_) {
    sender_->Stop();
  }
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
