#include "conversation/flow_error.hpp"

#include "flow/limits.hpp"

#include <cctype>

namespace parley::conversation {

namespace {

// The handler a Lua host's message names: "x.lua: error in 'NAME': ..." or "x.lua: Lua
// function 'NAME' is not defined". The prefix is the host's own, written before any text
// of the script's, so the first match is it. Empty when there is none.
std::string_view HandlerName(std::string_view message) {
  for (const std::string_view marker : {": error in '", ": Lua function '"}) {
    const size_t at = message.find(marker);
    if (at == std::string_view::npos) {
      continue;
    }
    const size_t start = at + marker.size();
    const size_t end = message.find('\'', start);
    if (end == std::string_view::npos) {
      return {};
    }
    const std::string_view name = message.substr(start, end - start);
    // A handler name is an identifier; anything else is not the host's prefix.
    for (const char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return {};
      }
    }
    return name;
  }
  return {};
}

}  // namespace

std::string_view FlowErrorClass(const Status& error) {
  const std::string_view m = error.message();
  switch (error.code()) {
    case StatusCode::kResourceExhausted:
      if (flow::ExceededEventLimit(error)) {  // flow/limits.hpp: what one event may produce
        return "per-event cap exceeded";
      }
      // The sandbox's own wording (script/lua_script.hpp); the code says it is the sandbox's.
      if (m.find("timed out: the call ran longer than") != std::string_view::npos) {
        return "timed out";
      }
      if (m.find("instruction budget exceeded") != std::string_view::npos) {
        return "instruction budget exceeded";
      }
      if (m.find("the longest string a script may build") != std::string_view::npos) {
        return "string cap";
      }
      if (m.find("not enough memory") != std::string_view::npos) {
        return "memory cap";
      }
      return "resource limit";
    case StatusCode::kInvalidArgument:
      return "runtime error";
    case StatusCode::kNotFound:
      return "handler not defined";
    case StatusCode::kFailedPrecondition:
      return "step refused";
    default:
      return "error";
  }
}

std::string SummarizeFlowError(const Status& error, std::string_view flow_id,
                               std::string_view state) {
  std::string out = "flow '" + std::string(flow_id) + "'";
  if (!state.empty()) {
    out += " state '" + std::string(state) + "'";
  }
  if (const std::string_view handler = HandlerName(error.message()); !handler.empty()) {
    out += " handler '" + std::string(handler) + "'";
  }
  out += ": ";
  out += FlowErrorClass(error);
  return out;
}

}  // namespace parley::conversation
