// Issue 11: `parley serve` serves the admin on its own port when PARLEY_ADMIN_LISTEN is set
// (and then not on the main one), on the main port otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "http/testing/client.hpp"
#include "store/store.hpp"
#include "test/support/serve_process.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

class AdminListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-admin-listen-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "flows");
    fs::copy_file(fs::path(TEST_SOURCE_DIR) / "examples/checkin/checkin.json",
                  dir_ / "flows/checkin.json");
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    auto store = store::OpenStore(url_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Status(uint16_t port, const std::string& target) {
    auto r = http::testing::Send("127.0.0.1", port, "GET", target);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : -1;
  }

  fs::path dir_;
  std::string url_;
};

TEST_F(AdminListenTest, AdminOnItsOwnAddress) {
  auto server = testing::ServeProcess::Start(
      PARLEY_BINARY, dir_.string(),
      {{"DATABASE_URL", url_}, {"PARLEY_FLOWS", "flows"}, {"PARLEY_ADMIN_LISTEN", "127.0.0.1:0"}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::smatch m;
  const std::string log = (*server)->Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("admin listening on 127\\.0\\.0\\.1:(\\d+)")))
      << log;
  const auto admin_port = static_cast<uint16_t>(std::stoi(m[1].str()));
  EXPECT_EQ(Status(admin_port, "/admin/login"), 200);
  EXPECT_EQ(Status(admin_port, "/admin"), 303);
  EXPECT_EQ(Status(admin_port, "/healthz"), 404);  // only the admin there
  EXPECT_EQ(Status((*server)->port(), "/admin/login"), 404);
  EXPECT_EQ(Status((*server)->port(), "/healthz"), 200);
  EXPECT_EQ((*server)->Stop(SIGTERM).value_or(-1), 0);
}

TEST_F(AdminListenTest, AdminOnTheMainAddressByDefault) {
  auto server = testing::ServeProcess::Start(PARLEY_BINARY, dir_.string(),
                                             {{"DATABASE_URL", url_}, {"PARLEY_FLOWS", "flows"}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(Status((*server)->port(), "/admin/login"), 200);
  EXPECT_EQ(Status((*server)->port(), "/admin/static/admin.css"), 200);
  EXPECT_EQ((*server)->Stop(SIGTERM).value_or(-1), 0);
}

}  // namespace
}  // namespace parley
