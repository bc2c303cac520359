#include "script/lua_values.hpp"

#include <algorithm>
#include <cmath>

namespace parley::script::detail {

namespace {
constexpr int kMaxDepth = 32;
}

void PushJson(lua_State* L, const json::Value& v, int depth) {
  using json::Type;
  switch (v.type()) {
    case Type::kNull:
      lua_pushnil(L);
      return;
    case Type::kBool:
      lua_pushboolean(L, v.as_bool());
      return;
    case Type::kNumber: {
      const double d = v.as_number();
      if (d == std::trunc(d) && std::fabs(d) < 9.0e15) {
        lua_pushinteger(L, static_cast<lua_Integer>(d));
      } else {
        lua_pushnumber(L, d);
      }
      return;
    }
    case Type::kString:
      lua_pushlstring(L, v.as_string().data(), v.as_string().size());
      return;
    case Type::kArray: {
      if (depth >= kMaxDepth) {
        lua_pushnil(L);
        return;
      }
      const auto& a = v.as_array();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      for (size_t i = 0; i < a.size(); ++i) {
        PushJson(L, a[i], depth + 1);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      return;
    }
    case Type::kObject: {
      if (depth >= kMaxDepth) {
        lua_pushnil(L);
        return;
      }
      const auto& o = v.as_object();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      for (const auto& [k, e] : o) {
        lua_pushlstring(L, k.data(), k.size());
        PushJson(L, e, depth + 1);
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

bool ToJson(lua_State* L, int index, json::Value& out, std::string& error, int depth) {
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      out = nullptr;
      return true;
    case LUA_TBOOLEAN:
      out = static_cast<bool>(lua_toboolean(L, index));
      return true;
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, index);
      if (!std::isfinite(d)) {
        error = "numbers must be finite";
        return false;
      }
      out = d;
      return true;
    }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      out = std::string(s, len);
      return true;
    }
    case LUA_TTABLE:
      break;
    default:
      error = std::string("cannot store a ") + luaL_typename(L, index);
      return false;
  }
  if (depth >= kMaxDepth) {
    error = "tables nested deeper than 32 levels (or a cycle)";
    return false;
  }
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++count;
    lua_pop(L, 1);
  }
  if (n > 0 && static_cast<size_t>(n) == count) {
    json::Array arr;
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, i);
      json::Value item;
      const bool ok = ToJson(L, -1, item, error, depth + 1);
      lua_pop(L, 1);
      if (!ok) return false;
      arr.push_back(std::move(item));
    }
    out = std::move(arr);
    return true;
  }
  json::Object obj;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      error = "table keys must be strings (or the table a sequence 1..n)";
      return false;
    }
    json::Value item;
    if (!ToJson(L, -1, item, error, depth + 1)) {
      lua_pop(L, 2);
      return false;
    }
    size_t len = 0;
    const char* k = lua_tolstring(L, -2, &len);
    obj.emplace_back(std::string(k, len), std::move(item));
    lua_pop(L, 1);
  }
  // Lua's table order depends on a per-state hash seed; sort so that steps stay
  // deterministic.
  std::sort(obj.begin(), obj.end(),
            [](const json::Member& a, const json::Member& b) { return a.first < b.first; });
  out = std::move(obj);
  return true;
}

}  // namespace parley::script::detail
