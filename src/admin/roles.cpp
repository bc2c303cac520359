#include "admin/roles.hpp"

namespace parley::admin {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == name) {
      return r;
    }
  }
  return std::nullopt;
}

bool Allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

}  // namespace parley::admin
