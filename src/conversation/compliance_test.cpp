#include "conversation/compliance.hpp"

#include <gtest/gtest.h>

namespace parley::conversation {
namespace {

ComplianceKind Classify(std::string_view body) { return ClassifyCompliance(body, ""); }

TEST(ClassifyComplianceTest, StopFamily) {
  for (std::string_view word :
       {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}) {
    EXPECT_EQ(Classify(word), ComplianceKind::kStop) << word;
  }
  EXPECT_EQ(Classify("stop"), ComplianceKind::kStop);
  EXPECT_EQ(Classify("Stop"), ComplianceKind::kStop);
  EXPECT_EQ(Classify("  sToP \n"), ComplianceKind::kStop);
  EXPECT_EQ(Classify("Stop!"), ComplianceKind::kStop);
  EXPECT_EQ(Classify("stop."), ComplianceKind::kStop);
  EXPECT_EQ(Classify("STOP !!"), ComplianceKind::kStop);
  EXPECT_EQ(Classify("unsubscribe?"), ComplianceKind::kStop);
}

TEST(ClassifyComplianceTest, StartAndHelp) {
  EXPECT_EQ(Classify("START"), ComplianceKind::kStart);
  EXPECT_EQ(Classify("unstop"), ComplianceKind::kStart);
  EXPECT_EQ(Classify("Help"), ComplianceKind::kHelp);
  EXPECT_EQ(Classify("info?"), ComplianceKind::kHelp);
}

TEST(ClassifyComplianceTest, WholeMessageOnly) {
  EXPECT_EQ(Classify("stop please"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("please stop"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("don't stop"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("stopp"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("s top"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("\"stop\""), ComplianceKind::kNone);  // leading punctuation is kept
  EXPECT_EQ(Classify(""), ComplianceKind::kNone);
  EXPECT_EQ(Classify("!!!"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("helpful"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("st\xC3\xB6p"), ComplianceKind::kNone);
  EXPECT_EQ(Classify(std::string(1000, 'x')), ComplianceKind::kNone);
}

TEST(ClassifyComplianceTest, YesIsNotAStart) {
  // Flows use yes/no answers; YES must reach them (see compliance.hpp).
  EXPECT_EQ(Classify("YES"), ComplianceKind::kNone);
  EXPECT_EQ(Classify("yes"), ComplianceKind::kNone);
}

TEST(ClassifyComplianceTest, OptOutTypeWins) {
  EXPECT_EQ(ClassifyCompliance("hello", "STOP"), ComplianceKind::kStop);
  EXPECT_EQ(ClassifyCompliance("ALTO", "stop"), ComplianceKind::kStop);  // localized keyword
  EXPECT_EQ(ClassifyCompliance("STOP", "START"), ComplianceKind::kStart);
  EXPECT_EQ(ClassifyCompliance("yes", "Start"), ComplianceKind::kStart);
  EXPECT_EQ(ClassifyCompliance("stop", "HELP"), ComplianceKind::kHelp);
  EXPECT_EQ(ClassifyCompliance("hi", " help "), ComplianceKind::kHelp);
  // Empty or unknown OptOutType: the body decides.
  EXPECT_EQ(ClassifyCompliance("stop", ""), ComplianceKind::kStop);
  EXPECT_EQ(ClassifyCompliance("stop", "SOMETHING"), ComplianceKind::kStop);
  EXPECT_EQ(ClassifyCompliance("hello", "SOMETHING"), ComplianceKind::kNone);
}

TEST(ClassifyComplianceTest, Names) {
  EXPECT_STREQ(ComplianceKindName(ComplianceKind::kNone), "none");
  EXPECT_STREQ(ComplianceKindName(ComplianceKind::kStop), "stop");
  EXPECT_STREQ(ComplianceKindName(ComplianceKind::kStart), "start");
  EXPECT_STREQ(ComplianceKindName(ComplianceKind::kHelp), "help");
}

}  // namespace
}  // namespace parley::conversation
