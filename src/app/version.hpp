// parley's version: `parley --version` and the parley_build_info metric.
#pragma once

#include <string_view>

namespace parley::app {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace parley::app
