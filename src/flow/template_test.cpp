#include "flow/template.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::flow {
namespace {

TEST(Template, RendersVariablesContactAndReply) {
  const json::Value vars = json::Object{{"name", "Ana"},
                                        {"n", 5.5},
                                        {"count", 3},
                                        {"ok", true},
                                        {"p", json::Object{{"city", "Lima"}}}};
  Contact contact;
  contact.name = "Ana P.";
  contact.phone = "+15550001111";
  contact.fields["clinic"] = "Norte";
  const Event e = Event::Message("<b>hi</b>", contact);
  const TemplateScope scope{vars, e};
  EXPECT_EQ(RenderTemplate("Hi {{name}}, {{ n }} / {{count}} / {{ok}}", scope),
            "Hi Ana, 5.5 / 3 / true");
  EXPECT_EQ(
      RenderTemplate("{{contact.name}} {{contact.phone}} {{contact.clinic}} {{p.city}}", scope),
      "Ana P. +15550001111 Norte Lima");
  EXPECT_EQ(RenderTemplate("you said {{reply}} & {{unknown}}!", scope), "you said <b>hi</b> & !");
  EXPECT_EQ(RenderTemplate("no placeholders", scope), "no placeholders");
  EXPECT_EQ(RenderTemplate("broken {{name", scope), "broken {{name");
  EXPECT_EQ(RenderTemplate("{{name}}{{name}}", scope), "AnaAna");
}

TEST(Template, ListsPlaceholdersAndRejectsBadSyntax) {
  auto names = TemplatePlaceholders("a {{x}} b {{ contact.name }} {{y.z}}");
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ::testing::ElementsAre("x", "contact.name", "y.z"));
  EXPECT_EQ(TemplatePlaceholders("Hi {{name").status().message(),
            "'{{' at offset 3 is never closed with '}}'");
  EXPECT_FALSE(TemplatePlaceholders("{{ }}").ok());
}

}  // namespace
}  // namespace parley::flow
