// Issue 11: admin passwords are Argon2id hashes (libsodium) that verify only the password
// they were made from.
#include "admin/password.hpp"

#include <gtest/gtest.h>

#include "admin/secure_random.hpp"
#include "test/support/status_testing.hpp"

namespace parley::admin {
namespace {

TEST(PasswordTest, HashVerifiesOnlyItsPassword) {
  ASSERT_OK_AND_ASSIGN(std::string hash, HashPassword("correct horse", PasswordCost::Minimum()));
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horsE"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
  // A fresh salt each time: the same password never hashes alike.
  ASSERT_OK_AND_ASSIGN(std::string again, HashPassword("correct horse", PasswordCost::Minimum()));
  EXPECT_NE(hash, again);
  EXPECT_TRUE(VerifyPassword(again, "correct horse"));
}

TEST(PasswordTest, InteractiveCostIsRecordedInTheHash) {
  ASSERT_OK_AND_ASSIGN(std::string hash,
                       HashPassword("a long password", PasswordCost::Interactive()));
  EXPECT_NE(hash.find("m=65536"), std::string::npos) << hash;  // 64 MiB
  EXPECT_TRUE(VerifyPassword(hash, "a long password"));
}

TEST(PasswordTest, AnythingButAnArgon2idHashNeverVerifies) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("plaintext", "plaintext"));
  EXPECT_FALSE(VerifyPassword("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
  EXPECT_FALSE(VerifyPassword(std::string("$argon2id$\0x", 12), "x"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, '$'), "x"));
}

TEST(PasswordTest, RulesRefuseShortLongAndNul) {
  EXPECT_EQ(CheckPasswordRules("short").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckPasswordRules(std::string(kMaxPasswordLength + 1, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckPasswordRules(std::string("0123456789\0", 11)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_OK(CheckPasswordRules("0123456789"));
}

TEST(SecureRandomTest, TokensAreRandomHexAndHashStably) {
  const std::string a = RandomToken();
  const std::string b = RandomToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(HashToken(a), HashToken(a));
  EXPECT_NE(HashToken(a), a);
  // SHA-256 of "abc".
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals(a, a));
  EXPECT_FALSE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, a.substr(1)));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

}  // namespace
}  // namespace parley::admin
