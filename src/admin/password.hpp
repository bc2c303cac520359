// Password hashing for admin users: Argon2id through libsodium's crypto_pwhash_str, whose
// output string carries the algorithm, its cost and the salt, so a hash stays verifiable
// after the cost is raised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::admin {

// Argon2id's cost: passes over memory, and memory in bytes.
struct PasswordCost {
  uint64_t ops = 0;
  size_t mem_bytes = 0;
  // libsodium's "interactive" cost (2 passes, 64 MiB): what users get.
  static PasswordCost Interactive();
  // The least libsodium allows: for tests only, where hashing speed matters.
  static PasswordCost Minimum();
};

// Passwords shorter than this are refused (docs/admin.md): the throttle slows guessing
// online, the hash offline, and neither saves a short password.
inline constexpr size_t kMinPasswordLength = 10;
// Longer ones are refused too, so hashing a hostile login form's input costs nothing extra.
inline constexpr size_t kMaxPasswordLength = 1024;

// kInvalidArgument naming the rule a password breaks (length, U+0000), or Ok.
Status CheckPasswordRules(std::string_view password);

// The Argon2id string of `password` with a fresh random salt. kInternal if libsodium
// cannot (out of memory).
Result<std::string> HashPassword(std::string_view password, PasswordCost cost);

// Whether `password` matches `hash` (a string from HashPassword). False for anything that
// is not such a string. Takes the time of one hash of the stored cost.
bool VerifyPassword(std::string_view hash, std::string_view password);

// A hash of a fixed password at `cost`, to verify against when the email is unknown, so a
// login for an unknown user takes as long as one with a wrong password.
const std::string& DummyHash(PasswordCost cost);

}  // namespace parley::admin
