// Issue 11 (live transcript): the contact page's newest page carries the refresh's cursor
// and its script (served as a file under a CSP without unsafe-inline); the JSON endpoint
// answers the entries past the cursor — a new inbound message, the flow's transition and
// reply — rendered and escaped as the page renders them, with the next cursor, nothing
// twice; it needs a session (any role), and an unknown contact is a 404.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "admin/web/admin_web_test_fixture.hpp"
#include "common/json.hpp"

namespace parley::admin::web {
namespace {

constexpr char kAna[] = "+14155550101";

class LiveTranscriptTest : public AdminWebTest {
 protected:
  void Inbound(const std::string& from, const std::string& body) {
    static int next = 0;
    conversation::InboundMessage m;
    m.to = testing::kOurNumber;
    m.message_sid = "SMlive" + std::to_string(++next);
    m.body = body;
    conversation::Event e;
    e.contact = conversation::ParseAddress(from).value();
    e.body = std::move(m);
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  std::string PagePath() {
    return "/admin/contacts/" + std::to_string(store_->FindContact(kAna).value()->id);
  }
  // The cursor the page hands its script, as the script sends it back.
  static std::string CursorQuery(const std::string& html) {
    std::smatch m;
    const std::regex re("data-after=\"(\\d+)\" data-transition=\"(\\d+)\" data-since=\"(\\d+)\"");
    if (!std::regex_search(html, m, re)) {
      return "";
    }
    return "?after=" + m[1].str() + "&transition=" + m[2].str() + "&since=" + m[3].str();
  }
  static std::string NextQuery(const json::Value& answer) {
    return "?after=" + json::ToDisplayString(*answer.Find("after")) +
           "&transition=" + json::ToDisplayString(*answer.Find("transition")) +
           "&since=" + json::ToDisplayString(*answer.Find("since"));
  }
};

TEST_F(LiveTranscriptTest, NewEntriesArriveOnceEscapedWithTheNextCursor) {
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, "hello");
  const std::string viewer = Login("viewer@example.org");
  const ClientResponse page = Get(PagePath(), viewer);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("data-live=\"" + PagePath() + "/transcript.json\""));
  EXPECT_THAT(page.body, HasSubstr("<script src=\"/admin/static/transcript.js\" defer></script>"));
  const std::string query = CursorQuery(page.body);
  ASSERT_NE(query, "") << page.body;

  // Nothing new yet.
  ClientResponse poll = Get(PagePath() + "/transcript.json" + query, viewer);
  ASSERT_EQ(poll.status, 200) << poll.body;
  EXPECT_EQ(poll.Header("Content-Type"), "application/json");
  EXPECT_EQ(poll.Header("Cache-Control"), "no-store");
  ASSERT_OK_AND_ASSIGN(json::Value quiet, json::Parse(poll.body));
  EXPECT_EQ(quiet.Find("html")->as_string(), "");
  EXPECT_EQ(NextQuery(quiet), query);

  // A message starts the flow: the message, the transition and the reply, in that order.
  clock_.Advance(std::chrono::seconds(5));
  Inbound(kAna, "FINISH");
  poll = Get(PagePath() + "/transcript.json" + query, viewer);
  ASSERT_EQ(poll.status, 200) << poll.body;
  ASSERT_OK_AND_ASSIGN(json::Value fresh, json::Parse(poll.body));
  const std::string html = fresh.Find("html")->as_string();
  EXPECT_THAT(html, Not(HasSubstr("hello")));  // shown already
  const size_t in = html.find("class=\"msg inbound\"");
  const size_t moved = html.find("started finish at ASK");
  const size_t out = html.find("One question: how are you?");
  ASSERT_NE(in, std::string::npos) << html;
  ASSERT_NE(moved, std::string::npos) << html;
  ASSERT_NE(out, std::string::npos) << html;
  EXPECT_LT(in, moved);
  EXPECT_LT(moved, out);
  EXPECT_FALSE(fresh.Find("gap")->as_bool());

  // With the next cursor: nothing twice.
  const std::string next = NextQuery(fresh);
  EXPECT_NE(next, query);
  ASSERT_OK_AND_ASSIGN(json::Value again,
                       json::Parse(Get(PagePath() + "/transcript.json" + next, viewer).body));
  EXPECT_EQ(again.Find("html")->as_string(), "");

  // An answer to the flow's question, hostile: its message (escaped), edge and reply.
  clock_.Advance(std::chrono::seconds(5));
  Inbound(kAna, "fine <script>alert(\"x\")</script>");
  ASSERT_OK_AND_ASSIGN(json::Value later,
                       json::Parse(Get(PagePath() + "/transcript.json" + next, viewer).body));
  const std::string more = later.Find("html")->as_string();
  EXPECT_THAT(more, HasSubstr("fine &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_THAT(more, Not(HasSubstr("<script>")));
  EXPECT_THAT(more, HasSubstr("moved from ASK to DONE"));
  EXPECT_THAT(more, HasSubstr("Thanks, bye."));
  EXPECT_THAT(more, Not(HasSubstr("One question")));
}

TEST_F(LiveTranscriptTest, NeedsASessionAndAKnownContact) {
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, "hello");
  EXPECT_EQ(Get(PagePath() + "/transcript.json").status, 303);  // to the login page
  const std::string viewer = Login("viewer@example.org");
  EXPECT_EQ(Get("/admin/contacts/999/transcript.json", viewer).status, 404);
  // Hand-edited parameters read as 0: everything up to a page.
  const ClientResponse all = Get(PagePath() + "/transcript.json?after=-1&since=x", viewer);
  ASSERT_EQ(all.status, 200);
  EXPECT_THAT(all.body, HasSubstr("hello"));
  // An older page of the transcript does not refresh itself.
  EXPECT_THAT(Get(PagePath() + "?before=999999", viewer).body, Not(HasSubstr("data-live")));
}

TEST_F(LiveTranscriptTest, TheScriptIsAFileUnderACspWithoutInlineScript) {
  const ClientResponse js = Get("/admin/static/transcript.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(js.body, HasSubstr("insertAdjacentHTML"));
  const std::string csp(js.Header("Content-Security-Policy"));
  EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
  EXPECT_THAT(csp, HasSubstr("connect-src 'self'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
}

}  // namespace
}  // namespace parley::admin::web
