// The server's flows: every *.json file in a folder (PARLEY_FLOWS), compiled with the Lua
// script beside it, in file-name order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/flow_files.hpp"
#include "common/status.hpp"
#include "flow/model.hpp"

namespace parley::app {

struct FolderFlow {
  std::shared_ptr<const flow::Flow> flow;
  std::string path;
  std::string source;  // the file's text, for the flows table
};

// InvalidArgument listing every diagnostic of every invalid file ("file:line:col: error:
// ...") when any file is invalid; NotFound when the folder does not exist; InvalidArgument
// when it is not a folder; Unavailable with the OS's reason when it cannot be read
// (permissions, a symlink loop). A folder without *.json files is not an error: it loads no
// flows (the server warns, records messages only, and /readyz answers 503).
// The *.json regular files of `dir`, sorted by name; the errors of LoadFlowFolder about the
// folder itself.
Result<std::vector<std::string>> ListFlowFiles(const std::string& dir);

Result<std::vector<FolderFlow>> LoadFlowFolder(const std::string& dir,
                                               const ScriptSettings& scripts = {});

}  // namespace parley::app
