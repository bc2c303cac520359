#include "app/flow_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "app/flow_files.hpp"

namespace parley::app {

Result<std::vector<FolderFlow>> LoadFlowFolder(const std::string& dir,
                                               const ScriptSettings& scripts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("flows folder '" + dir +
                            "' does not exist (set PARLEY_FLOWS to the folder of your flows)");
  }
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json" && entry.is_regular_file(ec)) {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());

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
