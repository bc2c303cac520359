// Issue 12 item 3: `parley import-lima` on a PostgreSQL database with LIMA's table layout
// (test/fixtures/lima/lima_schema.sql) holding real pickles of pysm's classes (protocols 3
// and 4), into SQLite and PostgreSQL targets: contacts with normalised numbers and names,
// the newest active session at its pickled state with LIMA's variables, every row it cannot
// import reported with why (unknown state, a pickle calling os.system, a bad number, ...),
// --dry-run writing nothing, and a second run duplicating nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "app/flow_files.hpp"
#include "app/lima_import.hpp"
#include "app/lima_source.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/status_testing.hpp"

namespace parley::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string SourceDir() {
  const char* dir = std::getenv("TEST_SOURCE_DIR");
  return dir == nullptr ? "." : dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Pickle(const std::string& name) {
  return ReadAll(SourceDir() + "/test/fixtures/lima/" + name);
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// LIMA's database: the Django layout and the rows each test reads.
class LimaDatabase {
 public:
  explicit LimaDatabase(const std::string& url) : conn_(PQconnectdb(url.c_str())) {}
  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

  void Exec(const std::string& sql) {
    PGresult* r = PQexec(conn_.get(), sql.c_str());
    const auto status = PQresultStatus(r);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_.get());
    PQclear(r);
  }

  void User(int id, const std::string& phone, const std::string& chat_type,
            std::optional<std::string> name, bool active = true) {
    Exec(
        "INSERT INTO core_user (id, password, is_superuser, phone_number, chat_type, module, "
        "is_staff, is_active, name) VALUES (" +
        std::to_string(id) + ", '!', false, '" + phone + "', '" + chat_type + "', 'bgcheck', " +
        "false, " + (active ? "true" : "false") + ", " + (name ? "'" + *name + "'" : "NULL") + ")");
  }

  void Session(int id, int user, const std::string& created, bool active,
               std::optional<std::string> state, std::optional<int> bgcheck = std::nullopt,
               std::optional<int> stop_flag = std::nullopt) {
    const std::string sql =
        "INSERT INTO core_session (id, user_id, created, active, state, "
        "last_user_bgcheck_value, stop_session_flag) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const std::string values[] = {std::to_string(id),
                                  std::to_string(user),
                                  created,
                                  active ? "t" : "f",
                                  state.value_or(""),
                                  bgcheck ? std::to_string(*bgcheck) : "",
                                  stop_flag ? std::to_string(*stop_flag) : ""};
    const char* params[7];
    int lengths[7];
    int formats[7];
    for (int i = 0; i < 7; ++i) {
      params[i] = values[i].c_str();
      lengths[i] = static_cast<int>(values[i].size());
      formats[i] = i == 4 ? 1 : 0;  // the pickle as binary bytea
    }
    if (!state) {
      params[4] = nullptr;
    }
    if (!bgcheck) {
      params[5] = nullptr;
    }
    if (!stop_flag) {
      params[6] = nullptr;
    }
    PGresult* r = PQexecParams(conn_.get(), sql.c_str(), 7, nullptr, params, lengths, formats, 0);
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn_.get());
    PQclear(r);
  }

 private:
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

class LimaImportTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { testing::PgCluster::StopShared(); }

  void SetUp() override {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    dir_ = fs::temp_directory_path() /
           ("parley-lima-import-" + std::to_string(getpid()) + "-" + std::to_string(n));
    fs::create_directories(dir_ / "flows");
    for (const char* file : {"lima-sample.json", "lima-sample.lua"}) {
      fs::copy_file(SourceDir() + "/examples/lima-sample/" + file, dir_ / "flows" / file);
    }
    std::string error;
    cluster_ = testing::PgCluster::Shared(&error);
    if (cluster_ == nullptr) {
      GTEST_SKIP() << "no PostgreSQL: " << error;
    }
    auto lima_url =
        cluster_->CreateDatabase("lima_" + std::to_string(getpid()) + "_" + std::to_string(n));
    ASSERT_OK(lima_url.status());
    lima_url_ = *lima_url;
    if (GetParam() == "sqlite") {
      target_url_ = "sqlite:" + (dir_ / "parley.db").string();
    } else {
      auto url =
          cluster_->CreateDatabase("target_" + std::to_string(getpid()) + "_" + std::to_string(n));
      ASSERT_OK(url.status());
      target_url_ = *url;
    }
    auto store = store::OpenStore(target_url_);
    ASSERT_OK(store.status());
    store_ = std::move(*store);
    ASSERT_OK(store_->Migrate());

    LoadedFlow loaded = LoadFlowFile((dir_ / "flows" / "lima-sample.json").string());
    ASSERT_NE(loaded.result.flow, nullptr);
    flow_ = loaded.result.flow;
    ASSERT_OK(store_->SaveFlow({flow_->id, flow_->revision, "{}", TimePoint{}}));

    LimaDatabase lima(lima_url_);
    ASSERT_TRUE(lima.ok());
    lima.Exec(ReadAll(SourceDir() + "/test/fixtures/lima/lima_schema.sql"));
    // Two active sessions: the newer (11) is imported, with LIMA's variables.
    lima.User(1, "+15551230001", "Default", "Ana");
    lima.Session(10, 1, "2024-01-01 10:00:00+00", true, Pickle("oy1_p3.pkl"));
    lima.Session(11, 1, "2024-02-01 10:00:00+00", true, Pickle("oy1_p4.pkl"), 120, 2);
    // WhatsApp, at the initial state.
    lima.User(2, "whatsapp:+15551230002", "WhatsApp", "Bea");
    lima.Session(20, 2, "2024-02-02 10:00:00+00", true, Pickle("optin_p4.pkl"), std::nullopt, 1);
    // WhatsApp as LIMA's admin saved it (no '+', no prefix), no name; a nested machine.
    lima.User(3, "15551230003", "WhatsApp", std::nullopt);
    lima.Session(30, 3, "2024-02-03 10:00:00+00", true, Pickle("nested_p4.pkl"));
    // A state the flow does not have.
    lima.User(4, "+15551230004", "Default", "Dan");
    lima.Session(40, 4, "2024-02-04 10:00:00+00", true, Pickle("legacy_p4.pkl"));
    // A pickle that would run a shell command in Python.
    lima.User(5, "+15551230005", "Default", "Eve");
    lima.Session(50, 5, "2024-02-05 10:00:00+00", true, Pickle("evil_p4.pkl"));
    // Not a phone number: neither the user nor its session.
    lima.User(6, "12", "Default", "Bad");
    lima.Session(60, 6, "2024-02-06 10:00:00+00", true, Pickle("oy1_p4.pkl"));
    // At a terminal state of the flow: LIMA's session stayed active; parley's would be over.
    lima.User(7, "+15551230007", "Default", "Fay");
    lima.Session(70, 7, "2024-02-07 10:00:00+00", true, Pickle("on1_p3.pkl"));
    // Only an ended session: a contact, no session.
    lima.User(8, "+15551230008", "Default", "Gus");
    lima.Session(80, 8, "2024-02-08 10:00:00+00", false, Pickle("oy1_p4.pkl"));
    // Deactivated in LIMA.
    lima.User(9, "+15551230009", "Default", "Hal", /*active=*/false);
    // An active session without a state.
    lima.User(10, "+15551230010", "Default", "Ivy");
    lima.Session(100, 10, "2024-02-10 10:00:00+00", true, std::nullopt);
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Result<LimaImportSummary> Import(bool dry_run, std::string& out) {
    auto data = ReadLimaDatabase(lima_url_);
    if (!data.ok()) {
      return data.status();
    }
    LimaImportOptions options;
    options.dry_run = dry_run;
    options.now = TimePoint(std::chrono::milliseconds(1'750'000'000'000));
    std::ostringstream report;
    auto summary = ImportLima(*data, *flow_, *store_, options, report);
    out = report.str();
    return summary;
  }

  store::SessionRecord ActiveSession(const std::string& address) {
    auto contact = store_->FindContact(address);
    EXPECT_TRUE(contact.ok() && contact->has_value()) << address;
    if (!contact.ok() || !contact->has_value()) {
      return {};
    }
    auto session = store_->LatestSession((*contact)->id);
    EXPECT_TRUE(session.ok() && session->has_value()) << address;
    return session.ok() && session->has_value() ? **session : store::SessionRecord{};
  }

  fs::path dir_;
  testing::PgCluster* cluster_ = nullptr;
  std::string lima_url_;
  std::string target_url_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const flow::Flow> flow_;
};

INSTANTIATE_TEST_SUITE_P(Targets, LimaImportTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Issue 12: users become contacts (numbers normalised, WhatsApp addresses, names kept),
// the newest active session continues at its pickled state with LIMA's variables, and every
// row that cannot be imported is reported with why.
TEST_P(LimaImportTest, ImportsContactsAndSessionsAndReportsWhatItCannot) {
  std::string out;
  auto summary = Import(false, out);
  ASSERT_OK(summary.status());
  EXPECT_EQ(summary->contacts_created, 8) << out;
  EXPECT_EQ(summary->sessions_imported, 3) << out;
  EXPECT_EQ(summary->refused, 6) << out;
  EXPECT_EQ(summary->skipped, 2) << out;

  const store::SessionRecord ana = ActiveSession("+15551230001");
  EXPECT_EQ(ana.session.flow_id, "lima-sample");
  EXPECT_EQ(ana.session.state, "OY1");
  EXPECT_TRUE(ana.session.active());
  EXPECT_EQ(json::Serialize(ana.session.vars),
            R"({"last_user_bgcheck_value":120,"stop_session_flag":2})");
  EXPECT_EQ(ana.flow_revision, flow_->revision);
  EXPECT_EQ(ana.started_at, TimePoint(std::chrono::milliseconds(1'706'781'600'000)));
  auto ana_contact = store_->FindContact("+15551230001");
  ASSERT_OK(ana_contact.status());
  EXPECT_EQ((*ana_contact)->name, "Ana");
  EXPECT_EQ((*ana_contact)->channel, "sms");

  const store::SessionRecord bea = ActiveSession("whatsapp:+15551230002");
  EXPECT_EQ(bea.session.state, "OPTIN");
  EXPECT_EQ(json::Serialize(bea.session.vars), R"({"stop_session_flag":1})");
  auto bea_contact = store_->FindContact("whatsapp:+15551230002");
  EXPECT_EQ((*bea_contact)->channel, "whatsapp");
  EXPECT_EQ((*bea_contact)->phone, "+15551230002");

  const store::SessionRecord third = ActiveSession("whatsapp:+15551230003");
  EXPECT_EQ(third.session.state, "OY1");  // the leaf of the nested machine
  EXPECT_EQ(json::Serialize(third.session.vars), "{}");

  for (const char* address :
       {"+15551230004", "+15551230005", "+15551230007", "+15551230008", "+15551230010"}) {
    auto contact = store_->FindContact(address);
    ASSERT_OK(contact.status());
    ASSERT_TRUE(contact->has_value()) << address;
    auto session = store_->LatestSession((*contact)->id);
    ASSERT_OK(session.status());
    EXPECT_FALSE(session->has_value()) << address;
  }
  auto hal = store_->FindContact("+15551230009");
  ASSERT_OK(hal.status());
  EXPECT_FALSE(hal->has_value());

  EXPECT_THAT(out, HasSubstr("user 1 +15551230001 'Ana': contact created"));
  EXPECT_THAT(out, HasSubstr("session 11 (user 1): flow 'lima-sample' at OY1 "
                             "{\"last_user_bgcheck_value\":120,\"stop_session_flag\":2}: "
                             "imported"));
  EXPECT_THAT(out, HasSubstr("skipped session 10 (user 1): an older active session (session 11 "
                             "is newer)"));
  EXPECT_THAT(out, HasSubstr("cannot import session 40 (user 4): its state 'LEGACY' is not a "
                             "state of flow 'lima-sample'"));
  EXPECT_THAT(out, HasSubstr("cannot import session 50 (user 5): its pickled state cannot be "
                             "read:"));
  EXPECT_THAT(out, HasSubstr("posix.system"));
  EXPECT_THAT(out, HasSubstr("cannot import user 6: phone_number '12' is not a phone number"));
  EXPECT_THAT(out, HasSubstr("cannot import session 60 (user 6): its user cannot be imported"));
  EXPECT_THAT(out, HasSubstr("cannot import session 70 (user 7): its state 'ON1' is terminal"));
  EXPECT_THAT(out, HasSubstr("skipped user 9: not active in LIMA"));
  EXPECT_THAT(out, HasSubstr("cannot import session 100 (user 10): it has no pickled state"));
  EXPECT_THAT(out, HasSubstr("contacts 8 created, 0 existing; sessions 3 imported, 0 already "
                             "imported; 6 cannot be imported, 2 skipped"));
  EXPECT_THAT(out, Not(HasSubstr("session 80")));  // ended sessions are not LIMA's live ones
}

// Issue 12: a second run duplicates nothing and says what was imported already.
TEST_P(LimaImportTest, RunningTwiceImportsOnce) {
  std::string first;
  ASSERT_OK(Import(false, first).status());
  auto before = store_->RowCounts();
  ASSERT_OK(before.status());
  std::string second;
  auto summary = Import(false, second);
  ASSERT_OK(summary.status());
  auto after = store_->RowCounts();
  ASSERT_OK(after.status());
  EXPECT_EQ(*after, *before);
  EXPECT_EQ(summary->contacts_created, 0);
  EXPECT_EQ(summary->contacts_existing, 8);
  EXPECT_EQ(summary->sessions_imported, 0);
  EXPECT_EQ(summary->sessions_existing, 3);
  EXPECT_THAT(second, HasSubstr("user 1 +15551230001 'Ana': contact exists"));
  EXPECT_THAT(second, HasSubstr("at OY1 {\"last_user_bgcheck_value\":120,\"stop_session_flag\""
                                ":2}: already imported"));
}

// Issue 12: --dry-run reads both databases, reports what would be imported and every row
// it cannot, and writes nothing.
TEST_P(LimaImportTest, DryRunWritesNothing) {
  auto before = store_->RowCounts();
  ASSERT_OK(before.status());
  std::string out;
  auto summary = Import(true, out);
  ASSERT_OK(summary.status());
  auto after = store_->RowCounts();
  ASSERT_OK(after.status());
  EXPECT_EQ(*after, *before);
  EXPECT_THAT(out, HasSubstr("user 2 whatsapp:+15551230002 'Bea': contact would be created"));
  EXPECT_THAT(out, HasSubstr("session 20 (user 2): flow 'lima-sample' at OPTIN "
                             "{\"stop_session_flag\":1}: would be imported"));
  EXPECT_THAT(out, HasSubstr("cannot import session 40 (user 4): its state 'LEGACY'"));
  EXPECT_THAT(out, HasSubstr("dry run, nothing written: contacts 8 to create, 0 existing; "
                             "sessions 3 to import, 0 already imported; 6 cannot be imported, "
                             "2 skipped"));
}

// Issue 12: a contact that has an active session of its own keeps it, and one that opted
// out gets no session; the LIMA sessions are reported as rows that cannot be imported.
TEST_P(LimaImportTest, KeepsWhatTheContactAlreadyHas) {
  {
    auto tx = store_->Begin();
    ASSERT_OK(tx.status());
    store::ContactRecord init;
    init.address = "whatsapp:+15551230002";
    init.channel = "whatsapp";
    init.phone = "+15551230002";
    auto opted_out = (*tx)->LockContact(init);
    ASSERT_OK(opted_out.status());
    opted_out->status = store::ContactStatus::kOptedOut;
    ASSERT_OK((*tx)->UpdateContact(*opted_out));
    init = {};
    init.address = init.phone = "+15551230001";
    auto contact = (*tx)->LockContact(init);
    ASSERT_OK(contact.status());
    store::SessionRecord s;
    s.contact_id = contact->id;
    s.flow_revision = flow_->revision;
    s.session.flow_id = "lima-sample";
    s.session.state = "OPTIN";
    ASSERT_OK((*tx)->SaveSession(s));
    ASSERT_OK((*tx)->Commit());
  }
  std::string out;
  ASSERT_OK(Import(false, out).status());
  EXPECT_THAT(out, HasSubstr("user 1 +15551230001 'Ana': contact exists, name set"));
  EXPECT_THAT(out, HasSubstr("cannot import session 11 (user 1): the contact already has an "
                             "active session (flow 'lima-sample' at OPTIN)"));
  EXPECT_EQ(ActiveSession("+15551230001").session.state, "OPTIN");
  EXPECT_THAT(out, HasSubstr("cannot import session 20 (user 2): the contact is opted_out in "
                             "parley"));
  auto bea = store_->FindContact("whatsapp:+15551230002");
  ASSERT_OK(bea.status());
  auto session = store_->LatestSession((*bea)->id);
  ASSERT_OK(session.status());
  EXPECT_FALSE(session->has_value());
  // The dry run says the same.
  std::string dry;
  ASSERT_OK(Import(true, dry).status());
  EXPECT_THAT(dry, HasSubstr("cannot import session 20 (user 2): the contact is opted_out in "
                             "parley"));
}

// Issue 12: LIMA's numbers and chat types as parley addresses.
TEST(LimaAddressTest, NormalisesNumbers) {
  const auto address = [](const std::string& phone, const std::string& chat_type) {
    return LimaAddress({1, phone, chat_type, "", true}, "US");
  };
  EXPECT_EQ(address("+15551230001", "Default")->key, "+15551230001");
  EXPECT_EQ(address(" 15551230001 ", "Default")->key, "+15551230001");
  EXPECT_EQ(address("whatsapp:+15551230001", "WhatsApp")->key, "whatsapp:+15551230001");
  EXPECT_EQ(address("WhatsApp:15551230001", "WhatsApp")->key, "whatsapp:+15551230001");
  EXPECT_EQ(address("+15551230001", "WhatsApp")->key, "whatsapp:+15551230001");
  EXPECT_EQ(address("447700900123", "Default")->key, "+447700900123");
  EXPECT_THAT(address("whatsapp:+15551230001", "Default").status().message(),
              HasSubstr("is a WhatsApp address but chat_type is 'Default'"));
  EXPECT_THAT(address("+15551230001", "Telegram").status().message(),
              HasSubstr("unknown chat_type 'Telegram'"));
  EXPECT_THAT(address("", "Default").status().message(), HasSubstr("empty"));
  EXPECT_THAT(address("abc\n", "Default").status().message(),
              HasSubstr("'abc\\x0a' is not a phone number"));
}

// Issue 12: the command itself: usage, a dry run through the built binary on a migrated
// SQLite target, and a flow that is not loaded.
TEST_P(LimaImportTest, CommandLine) {
  if (GetParam() != "sqlite") {
    GTEST_SKIP() << "the command's wiring is the same for both targets";
  }
  const auto run = [&](const std::string& args) {
    const std::string cmd = "cd '" + dir_.string() + "' && env -i PATH=\"$PATH\" DATABASE_URL='" +
                            target_url_ + "' PARLEY_FLOWS=flows " + std::string(PARLEY_BINARY) +
                            " import-lima " + args + " --env /dev/null 2>&1";
    std::pair<int, std::string> r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    for (size_t n = 0; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) {
      r.second.append(buf.data(), n);
    }
    const int status = pclose(p);
    r.first = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  auto dry = run("--from '" + lima_url_ + "' --flow lima-sample --dry-run");
  EXPECT_EQ(dry.first, 0) << dry.second;
  EXPECT_THAT(dry.second, HasSubstr("dry run, nothing written: contacts 8 to create"));
  auto missing = run("--from '" + lima_url_ + "' --flow nope");
  EXPECT_EQ(missing.first, 1);
  EXPECT_THAT(missing.second, HasSubstr("no flow with id 'nope'"));
  auto usage = run("--flow lima-sample");
  EXPECT_EQ(usage.first, 2);
  EXPECT_THAT(usage.second, HasSubstr("--from"));
  auto same = run("--from '" + target_url_ + "' --flow lima-sample");
  EXPECT_EQ(same.first, 1);
  EXPECT_THAT(same.second, HasSubstr("the same database"));
  auto unreachable = run("--from 'postgresql:///nope?host=/nonexistent' --flow lima-sample");
  EXPECT_EQ(unreachable.first, 1);
  EXPECT_THAT(unreachable.second, HasSubstr("cannot connect to the LIMA database"));
}

}  // namespace
}  // namespace parley::app
