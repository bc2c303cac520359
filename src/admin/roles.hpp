// Admin roles, from least to most: a viewer reads, an operator also acts on contacts and
// flows, an admin also manages users and reads the audit log (docs/admin.md, "Roles").
#pragma once

#include <optional>
#include <string_view>

namespace parley::admin {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };

std::string_view RoleName(Role role);  // "viewer", "operator", "admin"
std::optional<Role> ParseRole(std::string_view name);
// Whether a user of role `have` may do what needs role `need` (roles are ordered).
bool Allows(Role have, Role need);

}  // namespace parley::admin
