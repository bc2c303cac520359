// Issue 11: the message log (/admin/messages) over a real HTTP server on port 0 and a real
// SQLite store, with messages written by the conversation pipeline: login required, a
// viewer may read it, hostile bodies escaped, failed ones marked and linked to their
// contact, keyset pagination (newest first), and each filter (direction, status, error
// code, time range); a value the form would not send is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/web/admin_web_test_fixture.hpp"
#include "admin/web/log_pages.hpp"

namespace parley::admin::web {
namespace {

constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";
constexpr char kHostile[] = "\"><script>alert('x')</script>";

class MessagesPageTest : public AdminWebTest {
 protected:
  void Inbound(const std::string& from, const std::string& body) {
    static int next = 0;
    conversation::InboundMessage m;
    m.to = testing::kOurNumber;
    m.message_sid = "SMlog" + std::to_string(++next);
    m.body = body;
    conversation::Event e;
    e.contact = conversation::ParseAddress(from).value();
    e.body = std::move(m);
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  // Sends what is queued, the first as failed with `error`, the others as delivered.
  void DeliverFailingFirst(const std::string& error) {
    auto claimed = store_->ClaimOutbox(clock_.Now(), 100, std::chrono::minutes(1));
    ASSERT_OK(claimed.status());
    bool first = true;
    for (const auto& item : *claimed) {
      ASSERT_OK(store_->FinishOutbox(
          item.id, first ? store::MessageStatus::kFailed : store::MessageStatus::kDelivered,
          "SM" + std::to_string(item.id), first ? error : ""));
      first = false;
    }
  }
  int64_t ContactId(const std::string& address) {
    auto c = store_->FindContact(address);
    return c.ok() && c->has_value() ? (*c)->id : 0;
  }
  // The bodies in the page's table, in order.
  static std::vector<std::string> Bodies(const std::string& html) {
    std::vector<std::string> out;
    const std::regex re("<td class=\"body\">([^<]*)</td>");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator();
         ++it) {
      out.push_back((*it)[1].str());
    }
    return out;
  }
};

TEST_F(MessagesPageTest, NeedsALoginAndAViewerMayReadIt) {
  EXPECT_EQ(Get("/admin/messages").status, 303);  // to the login page
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, "hello");
  const std::string cookie = Login("viewer@example.org");
  const ClientResponse page = Get("/admin/messages", cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(Bodies(page.body), ::testing::ElementsAre("hello"));
  EXPECT_THAT(page.body, HasSubstr("href=\"/admin/messages\" aria-current=\"page\""));
  EXPECT_EQ(page.Header("Cache-Control"), "no-store");
}

TEST_F(MessagesPageTest, EscapesHostileBodiesAndMarksFailuresWithALinkToTheContact) {
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, kHostile);
  Inbound(kBob, "FINISH");  // the flow's question goes out, and fails
  DeliverFailingFirst("30007");
  const ClientResponse page = Get("/admin/messages", Login("viewer@example.org"));
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(page.body, HasSubstr("&quot;&gt;&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"));
  EXPECT_THAT(page.body, HasSubstr("<tr class=\"failed\">"));
  EXPECT_THAT(page.body, HasSubstr("<strong class=\"error-code\">failed</strong>"));
  EXPECT_THAT(page.body, HasSubstr("<span class=\"error-code\">30007</span>"));
  EXPECT_THAT(page.body, HasSubstr("<a href=\"/admin/contacts/" + std::to_string(ContactId(kBob)) +
                                   "\">" + kBob + "</a>"));
}

TEST_F(MessagesPageTest, PagesBackNewestFirst) {
  User("viewer@example.org", Role::kViewer);
  for (int i = 1; i <= kMessageLogPageSize + 3; ++i) {
    Inbound(kAna, "m" + std::to_string(i));
  }
  const std::string cookie = Login("viewer@example.org");
  const ClientResponse first = Get("/admin/messages", cookie);
  const auto bodies = Bodies(first.body);
  ASSERT_EQ(bodies.size(), static_cast<size_t>(kMessageLogPageSize));
  EXPECT_EQ(bodies.front(), "m" + std::to_string(kMessageLogPageSize + 3));
  std::smatch next;
  ASSERT_TRUE(std::regex_search(first.body, next, std::regex("rel=\"next\" href=\"([^\"]+)\"")));
  std::string href = next[1].str();
  for (size_t at; (at = href.find("&amp;")) != std::string::npos;) href.replace(at, 5, "&");
  const ClientResponse second = Get(href, cookie);
  EXPECT_THAT(Bodies(second.body), ::testing::ElementsAre("m3", "m2", "m1"));
  EXPECT_THAT(second.body, Not(HasSubstr("rel=\"next\"")));
}

TEST_F(MessagesPageTest, FiltersByDirectionStatusErrorCodeAndTime) {
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, "early");  // at kT0
  clock_.Set(kT0 + std::chrono::hours(2));
  Inbound(kBob, "FINISH");  // 2 h later: the question goes out (and fails, 30007)
  DeliverFailingFirst("30007");
  clock_.Set(kT0 + std::chrono::hours(3));
  Inbound(kAna, "FINISH");  // its question fails too, with error 30003
  DeliverFailingFirst("30003");
  const std::string cookie = Login("viewer@example.org");
  const auto bodies = [&](const std::string& query) {
    const ClientResponse r = Get("/admin/messages?" + query, cookie);
    EXPECT_EQ(r.status, 200) << query;
    return Bodies(r.body);
  };
  using ::testing::ElementsAre;
  const std::string question = "One question: how are you?";
  EXPECT_THAT(bodies("direction=inbound"), ElementsAre("FINISH", "FINISH", "early"));
  EXPECT_THAT(bodies("direction=outbound"), ElementsAre(question, question));
  EXPECT_THAT(bodies("status=failed"), ElementsAre(question, question));
  EXPECT_THAT(bodies("status=received&direction=inbound"),
              ElementsAre("FINISH", "FINISH", "early"));
  EXPECT_THAT(bodies("status=delivered"), ElementsAre());
  EXPECT_THAT(bodies("error=30007"), ElementsAre(question));
  EXPECT_THAT(bodies("error=30003&status=failed"), ElementsAre(question));
  EXPECT_THAT(bodies("error=21610"), ElementsAre());
  // 2026-... times of kT0 + 1 h to kT0 + 2 h 30: only Bob's exchange.
  const auto at = [](Duration d) {
    std::string s = FormatUtc(kT0 + d).substr(0, 16);  // 2023-11-14T23:13
    return s;
  };
  EXPECT_THAT(
      bodies("from=" + at(std::chrono::hours(1)) + "&until=" + at(std::chrono::minutes(150))),
      ElementsAre(question, "FINISH"));
  EXPECT_THAT(bodies("until=" + at(std::chrono::hours(1))), ElementsAre("early"));
  // A whole day (a date alone) holds them all.
  EXPECT_EQ(bodies("from=" + FormatUtc(kT0).substr(0, 10)).size(), 5u);

  EXPECT_EQ(Get("/admin/messages?direction=sideways", cookie).status, 400);
  EXPECT_EQ(Get("/admin/messages?status=lost", cookie).status, 400);
  EXPECT_EQ(Get("/admin/messages?error=30007%27--", cookie).status, 400);
  EXPECT_EQ(Get("/admin/messages?from=yesterday", cookie).status, 400);
}

TEST(ParseFormTimeTest, ReadsDatesAndDatetimeLocalAsUtc) {
  EXPECT_EQ(ParseFormTime("2023-11-14"), FromUnixMillis(1'699'920'000'000));
  EXPECT_EQ(ParseFormTime("2023-11-14T22:13"), FromUnixMillis(1'699'999'980'000));
  EXPECT_EQ(ParseFormTime("2023-11-14T22:13:20"), FromUnixMillis(1'700'000'000'000));
  EXPECT_FALSE(ParseFormTime("2023-02-30"));
  EXPECT_FALSE(ParseFormTime("2023-11-14T24:00"));
  EXPECT_FALSE(ParseFormTime("2023-11-14 22:13"));
  EXPECT_FALSE(ParseFormTime(""));
}

}  // namespace
}  // namespace parley::admin::web
