// LoadFlowFolder: a flows folder that cannot be used stops the start with the folder's name
// and the OS's reason; one without flow files loads nothing (the server warns; /readyz 503).
#include "app/flow_folder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace parley::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kFlow[] =
    R"({"flow": "hello", "states": [{"name": "HI", "enter": {"send": "hi"}}]})";

class FlowFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley-flow-folder-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "flows");
  }
  void TearDown() override {
    fs::permissions(dir_ / "flows", fs::perms::owner_all);
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

// Issue 8 item 10: a folder that cannot be listed used to load as an empty one (the server
// started with zero flows and answered nothing). Root reads any folder, so the load runs in
// a child process that drops to user "nobody" first.
TEST_F(FlowFolderTest, AFolderThatCannotBeListedIsAnErrorWithTheReason) {
  std::ofstream(dir_ / "flows/hello.json") << kFlow;
  ASSERT_EQ(::chmod((dir_ / "flows").c_str(), 0311), 0);  // enter, but not list
  const std::string folder = (dir_ / "flows").string();
  EXPECT_EXIT(
      {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
          std::fputs("cannot drop root", stderr);
          std::_Exit(3);
        }
        auto flows = LoadFlowFolder(folder);
        std::fputs(flows.ok() ? "loaded" : flows.status().message().c_str(), stderr);
        std::_Exit(flows.ok() ? 0 : 1);
      },
      ::testing::ExitedWithCode(1),
      "cannot read the flows folder '.*/flows' \\(PARLEY_FLOWS\\): Permission denied");
}

// Issue 8 item 10: a folder that cannot be reached at all (a symlink loop, as root can
// reproduce) says why, rather than "does not exist".
TEST_F(FlowFolderTest, AFolderThatCannotBeReachedIsAnErrorWithTheReason) {
  fs::create_directory_symlink(dir_ / "b", dir_ / "a");
  fs::create_directory_symlink(dir_ / "a", dir_ / "b");
  auto flows = LoadFlowFolder((dir_ / "a").string());
  ASSERT_FALSE(flows.ok());
  EXPECT_EQ(flows.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(flows.status().message(),
              HasSubstr("cannot read the flows folder '" + (dir_ / "a").string() +
                        "' (PARLEY_FLOWS): Too many levels of symbolic links"));
}

TEST_F(FlowFolderTest, AMissingFolderOrAFileIsAnError) {
  auto missing = LoadFlowFolder((dir_ / "nope").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  std::ofstream(dir_ / "file.json") << kFlow;
  auto file = LoadFlowFolder((dir_ / "file.json").string());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(file.status().message(), HasSubstr("(PARLEY_FLOWS) is not a folder"));
}

TEST_F(FlowFolderTest, AFolderWithoutFlowFilesLoadsNothing) {
  auto empty = LoadFlowFolder((dir_ / "flows").string());
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  std::ofstream(dir_ / "flows/README.md") << "flows go here";
  std::ofstream(dir_ / "flows/hello.json.bak") << kFlow;
  auto other = LoadFlowFolder((dir_ / "flows").string());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_TRUE(other->empty());
  std::ofstream(dir_ / "flows/hello.json") << kFlow;
  auto one = LoadFlowFolder((dir_ / "flows").string());
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().flow->id, "hello");
}

}  // namespace
}  // namespace parley::app
