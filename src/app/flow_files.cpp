#include "app/flow_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "script/lua_script.hpp"

namespace parley::app {

std::string ContentRevision(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("cannot read " + path + ": it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kUnavailable,
                  "cannot read " + path + ": " + std::strerror(err));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void PrintDiagnostics(const LoadedFlow& flow, std::ostream& out) {
  for (const auto& d : flow.result.diagnostics) {
    out << flow::FormatDiagnostic(d, flow.path) << "\n";
  }
}

LoadedFlow LoadFlowFile(const std::string& path, const flow::HandlerRegistry* registry,
                        const ScriptSettings& scripts) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    LoadedFlow loaded;
    loaded.path = path;
    loaded.result.diagnostics.push_back(
        {flow::Diagnostic::Severity::kError, "", {}, text.status().message()});
    return loaded;
  }
  return CompileFlowText(path, *text, registry, scripts);
}

LoadedFlow CompileFlowText(const std::string& path, std::string_view text,
                           const flow::HandlerRegistry* registry, const ScriptSettings& scripts) {
  LoadedFlow loaded;
  loaded.path = path;
  const std::filesystem::path file(path);
  const std::filesystem::path dir = file.parent_path();
  // What the script loader read, for LoadedFlow::scripts (Compile calls it synchronously).
  auto reads = std::make_shared<std::vector<ScriptRead>>();
  flow::CompileOptions options;
  options.default_id = file.stem().string();
  options.default_script = file.stem().string() + ".lua";
  options.source_path = path;
  options.revision = ContentRevision(text);
  options.registry = registry;
  options.load_script =
      [dir, scripts, reads](
          std::string_view name,
          const flow::EventLimits& limits) -> Result<std::shared_ptr<const flow::ScriptHost>> {
    const std::filesystem::path relative{std::string(name)};
    // Scripts live beside their flow: no absolute paths, no way out of the flow's folder.
    if (relative.is_absolute() || std::any_of(relative.begin(), relative.end(),
                                              [](const auto& part) { return part == ".."; })) {
      return Status::InvalidArgument("the script must be a path inside the flow's folder");
    }
    const std::filesystem::path script = dir / relative;
    auto source = ReadFile(script.string());
    reads->push_back({script.string(), source.ok() ? ContentRevision(*source) : "unreadable"});
    if (!source.ok()) {
      return source.status();
    }
    script::LuaLimits lua;
    lua.clock = scripts.clock;
    lua.max_call_time = limits.script_timeout.value_or(scripts.timeout);
    return script::LoadLuaScript(*source, std::string(name), lua);
  };
  loaded.result = flow::Compile(text, options);
  loaded.scripts = std::move(*reads);
  return loaded;
}

}  // namespace parley::app
