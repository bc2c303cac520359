// Tokens for cookies and forms (libsodium's CSPRNG), their stored hashes, and comparison in
// constant time.
#pragma once

#include <string>
#include <string_view>

namespace parley::admin {

// sodium_init, once; aborts the process if libsodium cannot start (no entropy source), as
// nothing the admin does is safe without it.
void EnsureSodium();

// 32 random bytes as 64 lower-case hex digits.
std::string RandomToken();

// The hex SHA-256 of a token: what the database keeps instead of the token itself.
std::string HashToken(std::string_view token);

// a == b, in time that depends only on the sizes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace parley::admin
