// Issue 11: the broadcast pages over a real HTTP server on port 0, a real SQLite store and
// the conversation pipeline: the preview's counts (valid, invalid with line numbers and
// why, opted out, already in a session) with nothing written, a CSV uploaded as
// multipart/form-data, the operator role and CSRF required, the confirmation queued and
// audited, and a 10-number broadcast worked off by the background job into 10 sessions and
// 10 queued messages, its progress page counting them; its failed recipients listed, paged
// and downloaded as CSV.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/web/admin_web_test_fixture.hpp"
#include "admin/web/broadcast_failures.hpp"
#include "admin/web/broadcast_worker.hpp"

namespace parley::admin::web {
namespace {

constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";

class BroadcastPageTest : public AdminWebTest {
 protected:
  void Inbound(const std::string& from, const std::string& body) {
    static int next = 0;
    conversation::InboundMessage m;
    m.to = testing::kOurNumber;
    m.message_sid = "SMbc" + std::to_string(++next);
    m.body = body;
    conversation::Event e;
    e.contact = conversation::ParseAddress(from).value();
    e.body = std::move(m);
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  void OptOut(const std::string& address) {
    conversation::AdminAction a;
    a.kind = conversation::AdminAction::Kind::kOptOut;
    a.audit.actor = "test";
    a.audit.action = "contact_opt_out";
    conversation::Event e{conversation::ParseAddress(address).value(), std::move(a),
                          conversation::ReplyMode::kQueued};
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  ClientResponse Preview(const std::string& cookie, const std::string& list,
                         std::optional<std::string> csrf = std::nullopt) {
    twilio::Form f;
    f.Add("csrf", csrf ? *csrf : PageCsrf(cookie));
    f.Add("flow", "finish");
    f.Add("list", list);
    return Post("/admin/broadcast/preview", f, cookie);
  }
  ClientResponse Confirm(const std::string& cookie, const std::string& list, bool restart = false) {
    twilio::Form f;
    f.Add("csrf", PageCsrf(cookie));
    f.Add("flow", "finish");
    f.Add("list", list);
    if (restart) {
      f.Add("restart", "1");
    }
    return Post("/admin/broadcast", f, cookie);
  }
  static std::string Count(const std::string& html, const std::string& id) {
    std::smatch m;
    const std::regex re("<dd id=\"" + id + "\">([^<]*)</dd>");
    return std::regex_search(html, m, re) ? m[1].str() : "?";
  }
  static std::string Numbers(const std::string& html) {
    return "start=" + Count(html, "count-start") + " valid=" + Count(html, "count-valid") +
           " invalid=" + Count(html, "count-invalid") +
           " opted_out=" + Count(html, "count-opted-out") +
           " in_session=" + Count(html, "count-in-session");
  }
  static std::string TenNumbers() {
    std::string list = "phone,name,city\n";
    for (int i = 0; i < 10; ++i) {
      list += "+1415555020" + std::to_string(i) + ",P" + std::to_string(i) + ",Lima\n";
    }
    return list;
  }
  // Runs the worker's chunks until nothing is left.
  void WorkOff(BroadcastWorker& worker) {
    for (int i = 0; i < 100; ++i) {
      ASSERT_OK_AND_ASSIGN(int done, worker.RunChunk());
      if (done == 0) return;
    }
    FAIL() << "the broadcast did not finish";
  }
  BroadcastWorker MakeWorker(int chunk) {
    BroadcastWorkerOptions options;
    options.chunk = chunk;
    return BroadcastWorker(
        *store_, clock_,
        [this](conversation::Event e, conversation::Pipeline::Done done) {
          return pipeline_.Submit(std::move(e), std::move(done));
        },
        options);
  }
};

TEST_F(BroadcastPageTest, PreviewCountsEachKindOfLineAndWritesNothing) {
  User("op@example.org", Role::kOperator);
  Inbound(kAna, "FINISH");  // Ana is in a session
  OptOut(kBob);
  const std::string cookie = Login("op@example.org");
  const std::string before = store_->RowCounts().value();
  const ClientResponse page = Preview(cookie,
                                      "+14155550101\n"
                                      "+14155550102,Bob\n"
                                      "+14155550103,<b>Cid</b>\n"
                                      "not a number\n"
                                      "+14155550103\n");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Numbers(page.body), "start=1 valid=3 invalid=2 opted_out=1 in_session=1");
  EXPECT_THAT(page.body, HasSubstr("<tr><td class=\"num\">4</td><td>not a phone number</td></tr>"));
  EXPECT_THAT(page.body,
              HasSubstr("<tr><td class=\"num\">5</td><td>the number repeats line 3</td></tr>"));
  // The list goes back to the server with the confirmation, escaped.
  EXPECT_THAT(page.body, HasSubstr("+14155550103,&lt;b&gt;Cid&lt;/b&gt;"));
  EXPECT_THAT(page.body, Not(HasSubstr("<b>Cid")));
  EXPECT_EQ(store_->RowCounts().value(), before);
  // Restarting the contacts in a session counts them in.
  twilio::Form f;
  f.Add("csrf", PageCsrf(cookie));
  f.Add("flow", "finish");
  f.Add("list", "+14155550101\n+14155550103\n");
  f.Add("restart", "1");
  EXPECT_EQ(Numbers(Post("/admin/broadcast/preview", f, cookie).body),
            "start=2 valid=2 invalid=0 opted_out=0 in_session=1");
}

TEST_F(BroadcastPageTest, AnUploadedCsvIsPreviewedFromTheMultipartForm) {
  User("op@example.org", Role::kOperator);
  const std::string cookie = Login("op@example.org");
  const std::string csrf = PageCsrf(cookie);
  const std::string body =
      "--B0undary\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf +
      "\r\n--B0undary\r\nContent-Disposition: form-data; name=\"flow\"\r\n\r\nfinish"
      "\r\n--B0undary\r\nContent-Disposition: form-data; name=\"list\"\r\n\r\n"
      "\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n\xEF\xBB\xBFphone,name\r\n+14155550101,\"Ana, A.\"\r\n"
      "+14155550102,Bob\r\n12\r\n"
      "\r\n--B0undary--\r\n";
  const auto send = [&](const std::string& b) {
    Headers h{{"Content-Type", "multipart/form-data; boundary=B0undary"}, {"Cookie", cookie}};
    auto r = http::testing::Send(http::testing::kHost, server_->port(), "POST",
                                 "/admin/broadcast/preview", h, b);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ClientResponse{};
  };
  const ClientResponse page = send(body);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Numbers(page.body), "start=2 valid=2 invalid=1 opted_out=0 in_session=0");
  EXPECT_THAT(page.body, HasSubstr("<td class=\"num\">4</td><td>not a phone number</td>"));
  // The CSRF token is read from the multipart form too.
  std::string forged = body;
  forged.replace(forged.find(csrf), csrf.size(), std::string(64, '0'));
  EXPECT_EQ(send(forged).status, 403);
}

TEST_F(BroadcastPageTest, ViewersAndFormsWithoutTheTokenAreRefused) {
  User("viewer@example.org", Role::kViewer);
  User("op@example.org", Role::kOperator);
  const std::string viewer = Login("viewer@example.org");
  EXPECT_EQ(Get("/admin/broadcast", viewer).status, 403);
  EXPECT_EQ(Preview(viewer, "+14155550101\n").status, 403);
  EXPECT_EQ(Confirm(viewer, "+14155550101\n").status, 403);
  EXPECT_THAT(Get("/admin", viewer).body, Not(HasSubstr("/admin/broadcast")));
  const std::string op = Login("op@example.org");
  EXPECT_EQ(Preview(op, "+14155550101\n", std::string(64, 'a')).status, 403);
  twilio::Form f;
  f.Add("csrf", std::string(64, 'a'));
  f.Add("flow", "finish");
  f.Add("list", "+14155550101\n");
  EXPECT_EQ(Post("/admin/broadcast", f, op).status, 403);
  EXPECT_EQ(Get("/admin/broadcast").status, 303);  // no session: to the login page
  EXPECT_TRUE(store_->admin().Broadcasts(0, 10).value().empty());
  // An unknown flow is refused before anything is read.
  twilio::Form unknown;
  unknown.Add("csrf", PageCsrf(op));
  unknown.Add("flow", "nope");
  unknown.Add("list", "+14155550101\n");
  EXPECT_EQ(Post("/admin/broadcast/preview", unknown, op).status, 400);
}

TEST_F(BroadcastPageTest, TenNumbersEndWithTenSessionsAndTenQueuedMessages) {
  User("op@example.org", Role::kOperator);
  User("viewer@example.org", Role::kViewer);
  const std::string cookie = Login("op@example.org");
  EXPECT_EQ(Numbers(Preview(cookie, TenNumbers()).body),
            "start=10 valid=10 invalid=0 opted_out=0 in_session=0");
  const ClientResponse queued = Confirm(cookie, TenNumbers());
  ASSERT_EQ(queued.status, 303) << queued.body;
  const std::string progress(queued.Header("Location"));
  EXPECT_THAT(progress, ::testing::StartsWith("/admin/broadcasts/"));
  // Queued, nothing started yet: the request itself submitted no event.
  const std::string viewer = Login("viewer@example.org");
  ClientResponse page = Get(progress, viewer);  // a viewer may watch
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(Count(page.body, "count-queued"), "10");
  EXPECT_EQ(Count(page.body, "count-started"), "0");
  EXPECT_EQ(store_->FindContact("+14155550200").value(), std::nullopt);

  BroadcastWorker worker = MakeWorker(4);  // three bounded chunks
  WorkOff(worker);
  page = Get(progress, viewer);
  EXPECT_EQ(Count(page.body, "count-queued"), "0");
  EXPECT_EQ(Count(page.body, "count-started"), "10");
  EXPECT_EQ(Count(page.body, "count-failed"), "0");
  EXPECT_THAT(page.body, HasSubstr("<strong id=\"broadcast-status\">done</strong>"));
  int sessions = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string address = "+1415555020" + std::to_string(i);
    auto contact = store_->FindContact(address).value();
    ASSERT_TRUE(contact) << address;
    EXPECT_EQ(contact->name, "P" + std::to_string(i));
    EXPECT_EQ(contact->fields_json, R"({"city":"Lima"})");
    auto session = store_->LatestSession(contact->id).value();
    sessions += session && session->session.flow_id == "finish" ? 1 : 0;
  }
  EXPECT_EQ(sessions, 10);
  auto outbox = store_->ClaimOutbox(clock_.Now(), 100, std::chrono::minutes(1));
  ASSERT_OK(outbox.status());
  EXPECT_EQ(outbox->size(), 10u);
  // Audited: the confirmation, and each start.
  auto audit = store_->admin().AuditLog(0, 100).value();
  EXPECT_EQ(std::count_if(audit.begin(), audit.end(),
                          [](const auto& a) { return a.action == "broadcast_start_flow"; }),
            10);
  EXPECT_EQ(std::count_if(audit.begin(), audit.end(),
                          [](const auto& a) {
                            return a.action == "broadcast_created" && a.actor == "op@example.org";
                          }),
            1);
  // The form lists it.
  EXPECT_THAT(Get("/admin/broadcast", cookie).body, HasSubstr("<td>done</td>"));
}

// Issue 11: a broadcast's failed recipients — invalid lines, a contact opted out before the
// confirmation, one that opted out before the job reached it (the core refused the start),
// one already in a session — are listed on its page with why, escaped, each number that is
// a contact's linked to its page; a viewer may see them.
TEST_F(BroadcastPageTest, FailedRecipientsAreListedWithWhyAndTheirContact) {
  User("op@example.org", Role::kOperator);
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, "FINISH");  // in a session
  OptOut(kBob);
  const std::string op = Login("op@example.org");
  const ClientResponse queued = Confirm(op,
                                        "number,name\n"
                                        "+14155550101,Ana\n"
                                        "+14155550102,Bob\n"
                                        "+14155550103,Cid\n"
                                        "+1<script>alert(1)</script>,\"<i>Eve</i> \"\"q\"\"\"\n"
                                        "+14155550104,Dee\n");
  ASSERT_EQ(queued.status, 303) << queued.body;
  const std::string progress(queued.Header("Location"));
  OptOut("+14155550104");  // after the confirmation: the job's start is refused
  BroadcastWorker worker = MakeWorker(10);
  WorkOff(worker);

  const std::string viewer = Login("viewer@example.org");
  const ClientResponse page = Get(progress, viewer);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Count(page.body, "count-total"), "5");
  EXPECT_EQ(Count(page.body, "count-started"), "1");
  EXPECT_EQ(Count(page.body, "count-failed"), "4");
  const auto id = [&](const std::string& address) {
    return std::to_string(store_->FindContact(address).value()->id);
  };
  // In list order, whenever each failed.
  EXPECT_THAT(page.body,
              HasSubstr("<tr><td><a href=\"/admin/contacts/" + id(kAna) +
                        "\">+14155550101</a>"
                        "</td><td>Ana</td><td>already in a session (Also restart was not "
                        "ticked)</td></tr>"));
  EXPECT_THAT(page.body, HasSubstr("<tr><td><a href=\"/admin/contacts/" + id(kBob) +
                                   "\">+14155550102</a></td><td>Bob</td><td>the contact is "
                                   "opted out</td></tr>"));
  EXPECT_THAT(page.body,
              HasSubstr("<tr><td>+1&lt;script&gt;alert(1)&lt;/script&gt;</td><td>&lt;i&gt;Eve&lt;"
                        "/i&gt; &quot;q&quot;</td><td>line 5: not a phone number</td></tr>"));
  EXPECT_THAT(page.body, Not(HasSubstr("<script>")));
  EXPECT_THAT(page.body, HasSubstr("<a href=\"/admin/contacts/" + id("+14155550104") +
                                   "\">+14155550104</a></td><td>Dee</td><td>"));
  EXPECT_THAT(page.body, HasSubstr("href=\"" + progress + "/failed.csv\""));
  EXPECT_THAT(page.body, Not(HasSubstr("More failed recipients")));
}

// Issue 11: the failures are paged by recipient id (keyset), 50 a page, in list order; a
// hand-edited `after` starts from the first.
TEST_F(BroadcastPageTest, FailedRecipientsArePagedByKeyset) {
  User("op@example.org", Role::kOperator);
  const std::string op = Login("op@example.org");
  std::string list = "+14155550101\n";
  for (int i = 0; i < 120; ++i) {
    list += "bad" + std::to_string(1000 + i) + "\n";
  }
  const ClientResponse queued = Confirm(op, list);
  ASSERT_EQ(queued.status, 303) << queued.body;
  const std::string progress(queued.Header("Location"));
  const auto bad = [](const std::string& html) {
    std::vector<std::string> out;
    const std::regex re("<tr><td>(bad\\d+)</td>");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator();
         ++it) {
      out.push_back((*it)[1].str());
    }
    return out;
  };
  const auto next = [](const std::string& html) {
    std::smatch m;
    return std::regex_search(html, m, std::regex("<a rel=\"next\" href=\"([^\"]*)\">"))
               ? m[1].str()
               : std::string();
  };
  ClientResponse page = Get(progress, op);
  auto rows = bad(page.body);
  ASSERT_EQ(rows.size(), 50u);
  EXPECT_EQ(rows.front(), "bad1000");
  EXPECT_EQ(rows.back(), "bad1049");
  std::string more = next(page.body);
  ASSERT_THAT(more, ::testing::StartsWith(progress + "?after="));
  page = Get(more, op);
  rows = bad(page.body);
  ASSERT_EQ(rows.size(), 50u);
  EXPECT_EQ(rows.front(), "bad1050");
  EXPECT_THAT(page.body, HasSubstr("First failed recipients"));
  page = Get(next(page.body), op);
  rows = bad(page.body);
  ASSERT_EQ(rows.size(), 20u);
  EXPECT_EQ(rows.back(), "bad1119");
  EXPECT_EQ(next(page.body), "");
  EXPECT_EQ(bad(Get(progress + "?after=x%27", op).body).front(), "bad1000");
}

// Issue 11: the failures as CSV — every one, in list order, with the list's fields as
// columns and why last — for a viewer too; quoting and formula-looking cells kept as text;
// no session, an unknown broadcast and a POST are refused.
TEST_F(BroadcastPageTest, FailedRecipientsDownloadAsCsv) {
  User("op@example.org", Role::kOperator);
  User("viewer@example.org", Role::kViewer);
  OptOut(kBob);
  const std::string op = Login("op@example.org");
  const ClientResponse queued =
      Confirm(op,
              "number,name,city\n"
              "+14155550101,Ana,Lima\n"
              "+14155550102,\"=HYPERLINK(\"\"http://x\"\")\",\"Cuzco, PE\"\n"
              "@SUM(A1),Eve\n");
  ASSERT_EQ(queued.status, 303) << queued.body;
  const std::string progress(queued.Header("Location"));
  const std::string viewer = Login("viewer@example.org");
  const ClientResponse csv = Get(progress + "/failed.csv", viewer);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_THAT(std::string(csv.Header("Content-Disposition")),
              ::testing::MatchesRegex("attachment; filename=\"broadcast-[0-9]+-failed\\.csv\""));
  EXPECT_EQ(csv.Header("Cache-Control"), "no-store");
  EXPECT_EQ(csv.body,
            "number,name,city,reason\r\n"
            "+14155550102,\"'=HYPERLINK(\"\"http://x\"\")\",\"Cuzco, PE\",the contact is opted "
            "out\r\n"
            "'@SUM(A1),Eve,,line 4: not a phone number\r\n");
  EXPECT_EQ(Get(progress + "/failed.csv").status, 303);  // no session: to the login page
  EXPECT_EQ(Get("/admin/broadcasts/999/failed.csv", viewer).status, 404);
  twilio::Form f;
  f.Add("csrf", PageCsrf(op));
  EXPECT_EQ(Post(progress + "/failed.csv", f, op).status, 405);
}

TEST(CsvCellTest, QuotesAndKeepsFormulasAsText) {
  EXPECT_EQ(CsvCell("+14155550101"), "+14155550101");
  EXPECT_EQ(CsvCell("+1 (415) 555-0101"), "+1 (415) 555-0101");
  EXPECT_EQ(CsvCell("whatsapp:+14155550101"), "whatsapp:+14155550101");
  EXPECT_EQ(CsvCell("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
  EXPECT_EQ(CsvCell("-2+3"), "-2+3");
  EXPECT_EQ(CsvCell("-x"), "'-x");
  EXPECT_EQ(CsvCell("=1+1"), "'=1+1");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
  EXPECT_EQ(CsvCell(""), "");
}

}  // namespace
}  // namespace parley::admin::web
