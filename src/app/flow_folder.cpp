#include "app/flow_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "app/flow_files.hpp"

namespace parley::app {

Result<std::vector<std::string>> ListFlowFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  // Every failure names the folder and the OS's reason: a folder that cannot be read must
  // stop the start, not look like an empty one.
  const auto cannot = [&dir](const std::error_code& ec) {
    return Status::Unavailable("cannot read the flows folder '" + dir +
                               "' (PARLEY_FLOWS): " + ec.message());
  };
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    return Status::NotFound("flows folder '" + dir +
                            "' does not exist (set PARLEY_FLOWS to the folder of your flows)");
  }
  if (ec) {
    return cannot(ec);
  }
  if (!fs::is_directory(status)) {
    return Status::InvalidArgument("the flows folder '" + dir + "' (PARLEY_FLOWS) is not a folder");
  }
  std::vector<std::string> paths;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".json" && it->is_regular_file(type_ec)) {
      paths.push_back(it->path().string());
    }
  }
  if (ec) {
    return cannot(ec);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

Result<std::vector<FolderFlow>> LoadFlowFolder(const std::string& dir,
                                               const ScriptSettings& scripts) {
  auto listed = ListFlowFiles(dir);
  if (!listed.ok()) {
    return listed.status();
  }
  const std::vector<std::string> paths = std::move(*listed);
  std::vector<FolderFlow> flows;
  std::ostringstream errors;
  for (const std::string& path : paths) {
    LoadedFlow loaded = LoadFlowFile(path, nullptr, scripts);
    if (!loaded.result.flow) {
      PrintDiagnostics(loaded, errors);
      continue;
    }
    auto source = ReadFile(path);
    if (!source.ok()) {
      return source.status();
    }
    flows.push_back({loaded.result.flow, path, std::move(*source)});
  }
  if (const std::string text = errors.str(); !text.empty()) {
    return Status::InvalidArgument("invalid flows in '" + dir + "':\n" + text);
  }
  return flows;
}

}  // namespace parley::app
