#include "conversation/conversation_test_fixture.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "flow/loader.hpp"
#include "script/lua_script.hpp"
#include "test/support/pg_cluster.hpp"

namespace parley::conversation::testing {
namespace {

constexpr char kTallyFlow[] = R"({
  "flow": "tally",
  "triggers": ["TALLY"],
  "states": [
    {"name": "COUNTING", "enter": [{"set": {"log": "start", "n": 0}}, {"send": "counting"}],
     "states": [
       {"name": "@COUNTING", "condition": "always",
        "enter": [{"inc": "n"}, {"set": {"log": "{{log}} {{reply}}"}},
                  {"send": "got {{reply}} as {{n}}"}]}
     ]}
  ]
})";

constexpr char kBoomFlow[] = R"({
  "flow": "boom",
  "script": "boom.lua",
  "triggers": ["BOOM"],
  "states": [
    {"name": "READY", "enter": {"send": "ready"},
     "states": [
       {"name": "@READY", "condition": {"reply": "explode"}, "enter": [{"inc": "n"}, "explode"]},
       {"name": "@READY", "condition": {"reply": "flood"}, "enter": [{"inc": "n"}, "flood"]},
       {"name": "@READY", "condition": "always", "enter": [{"inc": "n"}, {"send": "ok {{n}}"}]}
     ]}
  ]
})";

// explode sends, then fails: the engine must discard the send with the step. flood sends far
// more than the flow's sends_per_event (issue 8 item 7).
constexpr char kBoomScript[] = R"(
function explode(ctx)
  ctx:send("half done")
  error("kaboom")
end
function flood(ctx)
  for i = 1, 1000 do ctx:send("spam " .. i) end
end
)";

constexpr char kBadStartFlow[] = R"({
  "flow": "badstart",
  "triggers": ["BADSTART"],
  "states": [
    {"name": "FIRST", "enter": [{"send": "never sent"}, "fail_native"],
     "states": [{"name": "@FIRST", "condition": "always"}]}
  ]
})";

constexpr char kFinishFlow[] = R"({
  "flow": "finish",
  "triggers": ["FINISH"],
  "states": [
    {"name": "ASK", "enter": [{"send": "One question: how are you?"},
                              {"timer": {"name": "nudge", "after": "1h"}}],
     "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Thanks, bye."}}]}
  ]
})";

// Issue 9: a flow that reacts to a failed delivery of its question (delivery_failed), and
// answers any reply (an `always` edge a delivery failure must not take).
// A WhatsApp template beside a free-form message (issue 9 item 1).
constexpr char kCardFlow[] = R"({
  "flow": "card",
  "triggers": ["CARD"],
  "states": [
    {"name": "SENT", "enter": [
      {"send": {"text": "card for {{contact.name}}",
                "template": {"content_sid": "HX0123456789abcdef0123456789abcdef",
                             "variables": {"1": "{{contact.name}}", "2": "9:00"}}}},
      {"send": "plain"}]}
  ]
})";

constexpr char kReachFlow[] = R"({
  "flow": "reach",
  "triggers": ["REACH"],
  "states": [
    {"name": "ASK", "enter": {"send": "Are you there?"},
     "states": [
       {"name": "@ASK", "condition": "always", "enter": {"send": "got {{reply}}"}},
       {"name": "UNREACHABLE", "condition": "delivery_failed",
        "enter": [{"set": {"failed": "yes"}}, {"send": "We could not reach you."}],
        "states": [{"name": "@ASK", "condition": "always"}]}
     ]}
  ]
})";

parley::testing::PgCluster* SharedCluster(std::string* error) {
  return parley::testing::PgCluster::Shared(error);
}

Result<std::string> ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(TEST_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in) {
    return Status::NotFound("cannot read " + relative);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void ConversationTest::TearDownTestSuite() { parley::testing::PgCluster::StopShared(); }

void ConversationTest::SetUp() {
  if (postgres()) {
    std::string error;
    parley::testing::PgCluster* cluster = SharedCluster(&error);
    ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL (scripts/install-deps.sh): " << error;
    static std::atomic<int> counter{0};
    ASSERT_OK_AND_ASSIGN(url_, cluster->CreateDatabase("conv" + std::to_string(++counter)));
  } else {
    char templ[] = "/tmp/parley-conversation-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    sqlite_dir_ = templ;
    url_ = "sqlite:" + sqlite_dir_ + "/parley.db";
  }
  ASSERT_OK_AND_ASSIGN(store_, OpenStore());
  ASSERT_EQ(store_->dialect(), GetParam());
  ASSERT_OK(store_->Migrate());

  handlers_.AddAction("fail_native", [](flow::ActionContext&) {
    return Status::Internal("fail_native: the embedding program's action failed");
  });
  std::vector<std::shared_ptr<const flow::Flow>> flows;
  const auto compile = [&](const std::string& text, const std::string& id) {
    flow::CompileOptions options;
    options.default_id = id;
    options.revision = id + "-rev1";
    options.registry = &handlers_;
    options.load_script =
        [](std::string_view name,
           const flow::EventLimits&) -> Result<std::shared_ptr<const flow::ScriptHost>> {
      if (name != "boom.lua") {
        return Status::NotFound("no script " + std::string(name));
      }
      return script::LoadLuaScript(kBoomScript, "boom.lua");
    };
    flow::CompileResult result = flow::Compile(text, options);
    for (const flow::Diagnostic& d : result.diagnostics) {
      EXPECT_FALSE(d.is_error()) << flow::FormatDiagnostic(d, id);
    }
    ASSERT_NE(result.flow, nullptr) << id;
    flows.push_back(result.flow);
  };
  ASSERT_OK_AND_ASSIGN(const std::string checkin, ReadSourceFile("examples/checkin/checkin.json"));
  compile(checkin, "checkin");
  compile(kTallyFlow, "tally");
  compile(kBoomFlow, "boom");
  compile(kBadStartFlow, "badstart");
  compile(kFinishFlow, "finish");
  compile(kReachFlow, "reach");
  compile(kCardFlow, "card");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_OK_AND_ASSIGN(catalog_, FlowCatalog::Build(std::move(flows)));
}

void ConversationTest::TearDown() {
  pipeline_.reset();
  service_.reset();
  store_.reset();
  if (!sqlite_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_dir_, ec);
  }
}

ServiceOptions ConversationTest::DefaultServiceOptions() {
  ServiceOptions o;
  o.help_text = kHelpText;
  o.sms_from = kOurNumber;
  o.whatsapp_from = kOurWhatsApp;
  return o;
}

void ConversationTest::StartPipeline(PipelineOptions pipeline, ServiceOptions service,
                                     store::Store* store) {
  pipeline_.reset();
  service_.reset();
  registry_ = std::make_unique<metrics::Registry>();
  std::shared_ptr<const FlowCatalog> catalog = catalog_;
  service_ =
      std::make_unique<Service>([catalog] { return catalog; }, std::move(service), *registry_);
  pipeline_ = std::make_unique<Pipeline>(store != nullptr ? *store : *store_, *service_, clock_,
                                         std::move(pipeline), *registry_);
  pipeline_->Start();
}

Result<std::unique_ptr<store::Store>> ConversationTest::OpenStore(
    const store::ConnectOptions& options) const {
  return store::OpenStore(url_, options);
}

std::string ConversationTest::NewSid() {
  static std::atomic<int> next{0};
  std::string digits = std::to_string(++next);
  return "SM" + std::string(32 - digits.size(), '0') + digits;
}

Event ConversationTest::Sms(std::string_view from, std::string body, std::string sid,
                            std::string_view opt_out_type) {
  InboundMessage m;
  m.to = kOurNumber;
  m.message_sid = sid.empty() ? NewSid() : std::move(sid);
  m.compliance = ClassifyCompliance(body, opt_out_type);
  m.body = std::move(body);
  Event e;
  e.contact = ParseAddress(from).value();
  e.body = std::move(m);
  return e;
}

Event ConversationTest::WhatsApp(std::string_view phone, std::string body,
                                 std::string profile_name) {
  InboundMessage m;
  m.to = kOurWhatsApp;
  m.message_sid = NewSid();
  m.compliance = ClassifyCompliance(body, "");
  m.body = std::move(body);
  m.profile_name = std::move(profile_name);
  m.wa_id = std::string(phone.substr(1));
  Event e;
  e.contact = ParseAddress("whatsapp:" + std::string(phone)).value();
  e.body = std::move(m);
  return e;
}

Event ConversationTest::StartEvent(std::string_view contact, std::string flow_id) {
  Event e;
  e.contact = ParseAddress(contact).value();
  e.body = StartFlow{std::move(flow_id)};
  return e;
}

Result<Outcome> ConversationTest::Run(Event event) {
  if (!pipeline_) {
    return Status::FailedPrecondition("the test started no pipeline");
  }
  auto promise = std::make_shared<std::promise<Result<Outcome>>>();
  auto future = promise->get_future();
  PARLEY_RETURN_IF_ERROR(pipeline_->Submit(
      std::move(event), [promise](Result<Outcome> r) { promise->set_value(std::move(r)); }));
  if (future.wait_for(kWait) != std::future_status::ready) {
    return Status::Internal("the pipeline did not answer in time");
  }
  return future.get();
}

std::vector<std::string> ConversationTest::Replies(Event event) {
  auto outcome = Run(std::move(event));
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  if (!outcome.ok()) {
    return {"<error: " + outcome.status().ToString() + ">"};
  }
  EXPECT_EQ(outcome->flow_error, "");
  EXPECT_FALSE(outcome->duplicate);
  return Bodies(*outcome);
}

std::vector<std::string> ConversationTest::Bodies(const Outcome& outcome) {
  std::vector<std::string> out;
  for (const Reply& r : outcome.replies) {
    out.push_back(r.body);
  }
  return out;
}

std::string ConversationTest::Counts() {
  auto counts = store_->RowCounts();
  return counts.ok() ? *counts : counts.status().ToString();
}

std::optional<store::ContactRecord> ConversationTest::Contact(std::string_view address) {
  auto contact = store_->FindContact(address);
  EXPECT_TRUE(contact.ok()) << contact.status().ToString();
  return contact.ok() ? *contact : std::nullopt;
}

std::optional<store::SessionRecord> ConversationTest::Session(std::string_view address) {
  auto contact = Contact(address);
  if (!contact) {
    return std::nullopt;
  }
  auto session = store_->LatestSession(contact->id);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? *session : std::nullopt;
}

std::vector<store::MessageRecord> ConversationTest::Messages(std::string_view address) {
  auto contact = Contact(address);
  if (!contact) {
    return {};
  }
  auto messages = store_->Messages(contact->id);
  EXPECT_TRUE(messages.ok()) << messages.status().ToString();
  return messages.ok() ? *messages : std::vector<store::MessageRecord>{};
}

std::vector<std::string> ConversationTest::Log(std::string_view address) {
  std::vector<std::string> out;
  for (const store::MessageRecord& m : Messages(address)) {
    if (m.direction == store::MessageRecord::Direction::kInbound) {
      out.push_back("in:" + m.body);
    } else {
      out.push_back("out:" + m.body + ":" + store::MessageStatusName(m.status));
    }
  }
  return out;
}

std::vector<std::string> ConversationTest::AllSessions(std::string_view address) const {
  // Addresses in the tests are plain "+1..." / "whatsapp:+1...": no quoting needed.
  const std::string sql =
      "SELECT s.flow_id || '/' || s.state || '/' || s.status || '/' || s.end_reason "
      "FROM sessions s JOIN contacts c ON c.id = s.contact_id WHERE c.address = '" +
      std::string(address) + "' ORDER BY s.id";
  std::vector<std::string> out;
  if (postgres()) {
    PGconn* conn = PQconnectdb(url_.c_str());
    PGresult* r = PQexec(conn, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
    for (int i = 0; i < PQntuples(r); ++i) {
      out.emplace_back(PQgetvalue(r, i, 0));
    }
    PQclear(r);
    PQfinish(conn);
    return out;
  }
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(url_.substr(7).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace parley::conversation::testing
