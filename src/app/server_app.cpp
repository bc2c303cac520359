#include "app/server_app.hpp"

#include "admin/auth.hpp"
#include "admin/web/admin_web.hpp"
#include "admin/web/broadcast_worker.hpp"

#include "app/history_pruner.hpp"
#include "app/process_metrics.hpp"
#include "app/readiness.hpp"
#include "app/runtime.hpp"
#include "app/transition_rollup.hpp"
#include "app/version.hpp"
#include "common/log.hpp"
#include "http/http_metrics.hpp"
#include "http/server.hpp"
#include "webhook/inbound_handler.hpp"
#include "webhook/status_handler.hpp"

namespace parley::app {

namespace {

void Info(std::string_view m) { Log(LogLevel::kInfo, m); }
void Warn(std::string_view m) { Log(LogLevel::kWarning, m); }

// The reloader's report as the admin's flow page shows it (the admin does not know the app).
admin::web::FlowReloadResult AdminReloadResult(const ReloadReport& report) {
  admin::web::FlowReloadResult out;
  out.summary = report.Summary();
  for (const auto& f : report.added) {
    out.changes.push_back("added " + f.id + " (" + f.path + ")");
  }
  for (const auto& f : report.changed) {
    out.changes.push_back("changed " + f.id + ": " + f.old_revision.substr(0, 12) + " \u2192 " +
                          f.revision.substr(0, 12));
  }
  for (const auto& f : report.removed) {
    out.changes.push_back("removed " + f.id + " (" + f.path + ")");
  }
  for (const auto& r : report.rejected) {
    out.errors.push_back(r.path + ":\n" + r.diagnostics);
  }
  if (!report.refused.empty()) {
    out.errors.push_back("refused: " + report.refused);
  }
  return out;
}

// Whether `url` names this machine (PUBLIC_URL's default is http://LISTEN): loopback, the
// unspecified address a container listens on, or localhost.
bool IsLocalUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  std::string_view host = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  if (host.starts_with('[')) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host.starts_with("127.") || host == "0.0.0.0" || host == "[::1]" ||
         host == "[::]";
}

}  // namespace

struct ServerApp::Parts {
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<http::HttpMetrics> http_metrics;
  std::unique_ptr<webhook::InboundHandler> inbound;
  std::unique_ptr<webhook::StatusHandler> status;
  std::unique_ptr<Readiness> readiness;
  std::unique_ptr<admin::Auth> admin_auth;
  std::unique_ptr<admin::web::AdminWeb> admin_web;
  // Works off the admin's broadcasts through the pipeline (docs/admin.md, "Broadcast").
  std::unique_ptr<admin::web::BroadcastWorker> broadcasts;
  std::unique_ptr<http::Server> admin_server;  // PARLEY_ADMIN_LISTEN only
  std::unique_ptr<http::Server> server;
  std::unique_ptr<HistoryPruner> history_pruner;  // PARLEY_HISTORY_DAYS
  std::unique_ptr<TransitionRollup> rollup;       // the flow page's numbers
};

ServerApp::ServerApp(Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

ServerApp::~ServerApp() { Stop(); }

uint16_t ServerApp::port() const { return parts_ && parts_->server ? parts_->server->port() : 0; }

Status ServerApp::Start() {
  auto parts = std::make_unique<Parts>();
  Info("starting parley: " + config_.Describe());
  auto runtime = Runtime::Open(config_, clock_);
  if (!runtime.ok()) {
    return runtime.status();
  }
  parts->runtime = std::move(*runtime);
  Runtime& rt = *parts->runtime;

  if (!config_.validate_signature) {
    Warn(
        "PARLEY_VALIDATE_SIGNATURE=false: webhooks are NOT checked for Twilio's signature; "
        "anyone who can reach this server can post messages as any contact");
  } else if (config_.twilio_auth_token.empty()) {
    Warn("TWILIO_AUTH_TOKEN is not set: every webhook will be refused with 403 until it is");
  } else if (IsLocalUrl(config_.public_url)) {
    // Twilio signs the URL it calls, which is never a loopback address: each signature would
    // be checked against the wrong URL and every real webhook refused.
    Warn("PUBLIC_URL is " + config_.public_url +
         ", a local address, but TWILIO_AUTH_TOKEN is set: Twilio signs the public URL it "
         "calls, so every real webhook will fail its signature check (403); set PUBLIC_URL to "
         "that URL, e.g. https://parley.example.com");
  }
  webhook::InboundOptions inbound_options;
  inbound_options.reply_mode = config_.reply_mode == ReplyMode::kTwiml
                                   ? conversation::ReplyMode::kInline
                                   : conversation::ReplyMode::kQueued;
  inbound_options.auth_token = config_.twilio_auth_token;
  inbound_options.account_sid = config_.twilio_account_sid;
  inbound_options.public_url = config_.public_url;
  inbound_options.validate_signature = config_.validate_signature;
  inbound_options.default_region = config_.default_region;
  inbound_options.log = [](std::string_view m) { Log(LogLevel::kWarning, m); };
  inbound_options.debug_log = [](std::string_view m) { Log(LogLevel::kDebug, m); };
  parts->inbound =
      std::make_unique<webhook::InboundHandler>(rt.pipeline(), inbound_options, rt.registry());
  webhook::StatusOptions status_options;
  status_options.signature = {config_.twilio_auth_token, config_.public_url,
                              config_.validate_signature};
  status_options.account_sid = config_.twilio_account_sid;
  status_options.default_region = config_.default_region;
  status_options.log = inbound_options.log;
  status_options.info_log = [](std::string_view m) { Log(LogLevel::kInfo, m); };
  status_options.debug_log = inbound_options.debug_log;
  parts->status =
      std::make_unique<webhook::StatusHandler>(rt.pipeline(), status_options, rt.registry());
  parts->http_metrics = std::make_unique<http::HttpMetrics>(rt.registry());

  Parts* p = parts.get();
  http::Router router;
  const auto webhook = [p](const http::Request& r, http::Responder respond) {
    (*p->inbound)(r, std::move(respond));
  };
  router.AddAsync("POST", "/twilio/messages", webhook);
  router.AddAsync("POST", "/user-reply/", webhook);  // LIMA's URL, so Twilio needs no change
  router.AddAsync("POST", "/twilio/status", [p](const http::Request& r, http::Responder respond) {
    (*p->status)(r, std::move(respond));
  });
  router.Add("GET", "/healthz",
             [](const http::Request&) { return http::Response::Text(200, "ok\n"); });
  ReadinessOptions readiness_options;
  readiness_options.log = [](std::string_view m) { Log(LogLevel::kWarning, m); };
  parts->readiness = std::make_unique<Readiness>(
      rt.store(), [&rt] { return rt.flows()->flows().size(); }, clock_, readiness_options);
  router.Add("GET", "/readyz", [p](const http::Request&) {
    const Readiness::Verdict v = p->readiness->Check();
    return http::Response::Text(v.ready ? 200 : 503, v.reason + "\n");
  });
  // Which build answers, as Prometheus clients export it: a constant 1 with the facts as
  // labels (join on it to compare versions across instances).
  rt.registry()
      .AddGaugeFamily("parley_build_info", "parley's version and compiler; always 1.",
                      {"version", "compiler"})
      .WithLabels({kVersion, __VERSION__})
      .Set(1);
  router.Add("GET", "/metrics", [p](const http::Request&) {
    http::Response r;
    r.content_type = std::string(metrics::Registry::kContentType);
    r.body = p->runtime->registry().RenderText() + ProcessMetricsText();
    return r;
  });

  // The admin console (docs/admin.md): on this router, or on its own server.
  admin::SessionOptions session_options;
  session_options.idle_timeout = config_.admin_session_idle;
  session_options.max_age = config_.admin_session_max;
  parts->admin_auth = std::make_unique<admin::Auth>(rt.store().admin(), clock_, session_options,
                                                    admin::PasswordCost::Interactive());
  admin::web::WebOptions web_options;
  web_options.secure_cookies = config_.public_url.starts_with("https://");
  web_options.error_log = [](std::string_view m) { Log(LogLevel::kError, m); };
  // The contact page's actions are events like any other (docs/admin.md).
  web_options.apply_event = [&rt](conversation::Event event) {
    return rt.pipeline().Run(std::move(event));
  };
  web_options.flow_ids = [&rt] {
    std::vector<std::string> ids;
    for (const auto& flow : rt.flows()->flows()) {
      ids.push_back(flow->id);
    }
    return ids;
  };
  web_options.flows = [&rt] { return rt.flows(); };
  web_options.reload_flows = [&rt] { return AdminReloadResult(rt.ReloadFlows()); };
  admin::web::BroadcastWorkerOptions broadcast_options;
  broadcast_options.error_log = [](std::string_view m) { Log(LogLevel::kError, m); };
  parts->broadcasts = std::make_unique<admin::web::BroadcastWorker>(
      rt.store(), clock_,
      [&rt](conversation::Event event, conversation::Pipeline::Done done) {
        return rt.pipeline().Submit(std::move(event), std::move(done));
      },
      broadcast_options);
  web_options.wake_broadcasts = [worker = parts->broadcasts.get()] { worker->Wake(); };
  parts->admin_web =
      std::make_unique<admin::web::AdminWeb>(rt.store(), *parts->admin_auth, clock_, web_options);
  http::Router admin_router;
  parts->admin_web->AddRoutes(config_.admin_listen ? admin_router : router);

  http::ServerOptions server_options;
  server_options.host = config_.listen_host;
  server_options.port = config_.listen_port;
  server_options.threads = config_.workers;
  server_options.max_body_bytes = config_.max_body_bytes;
  server_options.allowed_hosts = config_.allowed_hosts;
  server_options.access_log = [](std::string_view line) { Log(LogLevel::kInfo, line); };
  server_options.error_log = [](std::string_view line) { Log(LogLevel::kError, line); };
  server_options.warning_log = [](std::string_view line) { Log(LogLevel::kWarning, line); };
  server_options.observe = parts->http_metrics->Observer();
  parts->server = std::make_unique<http::Server>(server_options, std::move(router));
  if (config_.admin_listen) {
    http::ServerOptions admin_options = server_options;
    admin_options.host = config_.admin_listen->host;
    admin_options.port = config_.admin_listen->port;
    admin_options.threads = 2;  // a few operators, not Twilio's traffic
    parts->admin_server = std::make_unique<http::Server>(admin_options, std::move(admin_router));
  }
  rt.Start();
  parts->broadcasts->Start();  // after the pipeline: it submits events
  if (Status s = parts->server->Start(); !s.ok()) {
    parts->broadcasts->Stop();
    rt.Stop();
    return s;
  }
  if (parts->admin_server) {
    if (Status s = parts->admin_server->Start(); !s.ok()) {
      parts->server->Stop();
      parts->broadcasts->Stop();
      rt.Stop();
      return {s.code(), "PARLEY_ADMIN_LISTEN: " + s.message()};
    }
  }
  HistoryPrunerOptions history;
  history.days = config_.history_days;
  parts->history_pruner = std::make_unique<HistoryPruner>(rt.store().admin(), clock_, history);
  parts->rollup = std::make_unique<TransitionRollup>(rt.store().admin(), clock_);
  parts_ = std::move(parts);
  Info("listening on " + config_.listen_host + ":" + std::to_string(port()) +
       "; Twilio webhook: " + config_.public_url + "/twilio/messages");
  if (parts_->admin_server) {
    Info("admin listening on " + config_.admin_listen->host + ":" +
         std::to_string(parts_->admin_server->port()) + "/admin");
  } else {
    Info("admin: " + config_.public_url + "/admin");
  }
  return Status::Ok();
}

ReloadReport ServerApp::ReloadFlows() {
  if (!parts_) {
    ReloadReport not_running;
    not_running.refused = "the server is not running";
    return not_running;
  }
  return parts_->runtime->ReloadFlows();
}

void ServerApp::Stop() {
  if (!parts_) {
    return;
  }
  if (parts_->admin_server) {
    parts_->admin_server->Stop();
  }
  parts_->history_pruner.reset();
  parts_->rollup.reset();
  parts_->server->Stop();      // in-flight webhooks are answered: the pipeline still runs
  parts_->broadcasts->Stop();  // its chunk in hand is answered too; the rest stays queued
  parts_->runtime->Stop();
  parts_.reset();
}

}  // namespace parley::app
