// Random and mutated bytes for robustness tests: untrusted input never crashes a parser.
// Deterministic for a given generator seed, so a failure reproduces.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

namespace parley::testing {

// Up to `max_size` bytes, uniformly random or drawn from `alphabet` when it is not empty.
inline std::string RandomBytes(std::mt19937& rng, size_t max_size, std::string_view alphabet = {}) {
  std::uniform_int_distribution<size_t> size_dist(0, max_size);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  const size_t n = size_dist(rng);
  std::string s(n, '\0');
  for (char& c : s) {
    if (alphabet.empty()) {
      c = static_cast<char>(byte_dist(rng));
    } else {
      c = alphabet[static_cast<size_t>(byte_dist(rng)) % alphabet.size()];
    }
  }
  return s;
}

// `seed` with a few random bytes replaced, inserted or deleted.
inline std::string Mutate(std::mt19937& rng, std::string s) {
  std::uniform_int_distribution<int> edits(1, 4);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  for (int e = edits(rng); e > 0; --e) {
    const size_t pos = s.empty() ? 0 : std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
    switch (byte_dist(rng) % 3) {
      case 0:
        if (!s.empty()) {
          s[pos] = static_cast<char>(byte_dist(rng));
        }
        break;
      case 1:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(byte_dist(rng)));
        break;
      default:
        if (!s.empty()) {
          s.erase(pos, 1);
        }
        break;
    }
  }
  return s;
}

}  // namespace parley::testing
