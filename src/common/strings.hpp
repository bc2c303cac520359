// Small string helpers shared by every module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions), for
// "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a plausible typo
// (distance at most max(1, len/3)); empty if none is.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// ASCII whitespace trimmed from both ends.
std::string_view TrimAscii(std::string_view s);

bool StartsWith(std::string_view s, std::string_view prefix);

}  // namespace parley
