#include "admin/password.hpp"

#include <sodium.h>

#include <map>
#include <mutex>

#include "admin/secure_random.hpp"

namespace parley::admin {

PasswordCost PasswordCost::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::Minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Status CheckPasswordRules(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("the password must be at least " +
                                   std::to_string(kMinPasswordLength) + " characters long");
  }
  if (password.size() > kMaxPasswordLength) {
    return Status::InvalidArgument("the password must be at most " +
                                   std::to_string(kMaxPasswordLength) + " bytes long");
  }
  if (password.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("the password must not contain a NUL character");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  EnsureSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("password hashing failed (out of memory)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  EnsureSodium();
  // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string_view::npos || !hash.starts_with("$argon2id$")) {
    return false;
  }
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyHash(PasswordCost cost) {
  static std::mutex mu;
  static auto* hashes = new std::map<std::pair<uint64_t, size_t>, std::string>();
  std::lock_guard lock(mu);
  std::string& h = (*hashes)[{cost.ops, cost.mem_bytes}];
  if (h.empty()) {
    auto made = HashPassword("parley-dummy-password", cost);
    h = made.ok() ? *made : std::string();
  }
  return h;
}

}  // namespace parley::admin
