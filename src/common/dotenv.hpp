// `.env` files: KEY=VALUE lines, as python-dotenv and django-environ read them, so an
// existing LIMA `.env` works unchanged.
//
//   # comment              blank lines and comments are skipped
//   KEY=value              surrounding spaces trimmed; an unquoted value ends at " #"
//   export KEY=value       "export " is accepted and ignored
//   KEY="a \"b\"\n"        double quotes: \n \t \\ \" escapes
//   KEY='raw $value'       single quotes: taken literally
//
// A line that is none of these is an error naming the file's line (the value is never
// echoed: it may be a secret).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"

namespace parley {

struct DotenvEntry {
  std::string key;
  std::string value;
  int line = 0;
};

// Parses the text of a .env file; `name` is used in error messages ("name:3: ...").
Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view text, std::string_view name);

}  // namespace parley
