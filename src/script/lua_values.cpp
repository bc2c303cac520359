#include "script/lua_values.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "script/lua_sandbox.hpp"

namespace parley::script::detail {

namespace {

constexpr int kMaxDepth = 32;

int ProxyIndex(lua_State* L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

int ProxyLen(lua_State* L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

// A key of the table pairs() walks: integers sort before strings, strings bytewise.
struct SortKey {
  const char* text;  // null for an integer key
  size_t len;
  lua_Integer number;
  int seen;  // position in lua_next order
};

bool KeyLess(const SortKey& a, const SortKey& b) {
  if ((a.text == nullptr) != (b.text == nullptr)) {
    return a.text == nullptr;
  }
  if (a.text == nullptr) {
    return a.number < b.number;
  }
  const int c = std::memcmp(a.text, b.text, std::min(a.len, b.len));
  return c != 0 ? c < 0 : a.len < b.len;
}

// The iterator ProxyPairs returns. Upvalues: the target table, its keys in order, the
// position reached. Keys whose value became nil meanwhile (ctx:set(k, nil)) are skipped.
int SortedNext(lua_State* L) {
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, lua_upvalueindex(2)));
  while (i < n) {
    ++i;
    lua_rawgeti(L, lua_upvalueindex(2), i);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
      lua_pushinteger(L, i);
      lua_replace(L, lua_upvalueindex(3));
      return 2;
    }
    lua_pop(L, 2);
  }
  lua_pushinteger(L, n);
  lua_replace(L, lua_upvalueindex(3));
  return 0;
}

}  // namespace

int ReadOnlyNewIndex(lua_State* L) {
  const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  const CallState* call = CallOf(L);
  if (call != nullptr && call->write == nullptr) {
    return luaL_error(L, "conditions may not write: ctx is read-only (assigning '%s')", key);
  }
  return luaL_error(L, "ctx is read-only (assigning '%s'): change vars with ctx:set(name, value)",
                    key);
}

// pairs() on a proxy or ctx: the target's keys in sorted order, so that iterating ctx.vars
// is deterministic (Lua's own order depends on a per-state hash seed).
int ProxyPairs(lua_State* L) {
  if (lua_type(L, 1) != LUA_TUSERDATA || lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
    return luaL_error(L, "pairs: not a ctx table");
  }
  const int target = lua_gettop(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, target) != 0) {
    ++n;
    lua_pop(L, 1);
  }
  Charge(L, static_cast<uint64_t>(n) * std::bit_width(static_cast<unsigned>(n)));
  // Plain data in a Lua-owned block: nothing here needs a destructor if Lua raises.
  auto* keys = static_cast<SortKey*>(lua_newuserdatauv(L, (sizeof(SortKey) + sizeof(int)) * n, 0));
  int* rank = reinterpret_cast<int*>(keys + n);
  int seen = 0;
  lua_pushnil(L);
  while (lua_next(L, target) != 0) {
    lua_pop(L, 1);
    SortKey& k = keys[seen];
    k = {nullptr, 0, 0, seen++};
    if (lua_type(L, -1) == LUA_TSTRING) {
      k.text = lua_tolstring(L, -1, &k.len);
    } else if (lua_isinteger(L, -1) != 0) {
      k.number = lua_tointeger(L, -1);
    } else {
      k.text = "";  // no other key types occur in ctx tables
    }
  }
  std::sort(keys, keys + n, KeyLess);
  for (int i = 0; i < n; ++i) {
    rank[keys[i].seen] = i;
  }
  lua_createtable(L, n, 0);  // the keys, sorted
  seen = 0;
  lua_pushnil(L);
  while (lua_next(L, target) != 0) {  // same order as before: the table has not changed
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, rank[seen++] + 1);
  }
  lua_pushvalue(L, target);
  lua_insert(L, -2);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, SortedNext, 3);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

void RegisterReadOnlyProxies(lua_State* L) {
  const luaL_Reg meta[] = {{"__index", ProxyIndex},
                           {"__newindex", ReadOnlyNewIndex},
                           {"__len", ProxyLen},
                           {"__pairs", ProxyPairs},
                           {nullptr, nullptr}};
  lua_createtable(L, 0, 6);
  luaL_setfuncs(L, meta, 0);
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_pushliteral(L, "read-only table");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kReadOnlyMetaKey);
}

void MakeReadOnly(lua_State* L) {
  lua_newuserdatauv(L, 0, 1);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadOnlyMetaKey);
  lua_setmetatable(L, -2);
}

bool PushProxyTarget(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TUSERDATA || lua_checkstack(L, 2) == 0) {
    return false;
  }
  index = lua_absindex(L, index);
  if (lua_getmetatable(L, index) == 0) {
    return false;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kReadOnlyMetaKey);
  const bool proxy = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  if (!proxy) {
    return false;
  }
  lua_getiuservalue(L, index, 1);
  return true;
}

void PushJson(lua_State* L, const json::Value& v, bool read_only, int depth) {
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
    case Type::kArray:
    case Type::kObject:
      break;
  }
  if (depth >= kMaxDepth) {
    lua_pushnil(L);
    return;
  }
  luaL_checkstack(L, 4, "value nested too deeply");
  if (v.is_array()) {
    const json::Array& a = v.as_array();
    lua_createtable(L, static_cast<int>(a.size()), 0);
    for (size_t i = 0; i < a.size(); ++i) {
      PushJson(L, a[i], read_only, depth + 1);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
    }
  } else {
    const json::Object& o = v.as_object();
    lua_createtable(L, 0, static_cast<int>(o.size()));
    for (const json::Member& member : o) {
      lua_pushlstring(L, member.first.data(), member.first.size());
      PushJson(L, member.second, read_only, depth + 1);
      lua_rawset(L, -3);
    }
  }
  if (read_only) {
    MakeReadOnly(L);
  }
}

bool ToJson(lua_State* L, int index, json::Value& out, std::string& error, int depth) {
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      out = nullptr;
      return true;
    case LUA_TBOOLEAN:
      out = lua_toboolean(L, index) != 0;
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
    case LUA_TUSERDATA:
      if (PushProxyTarget(L, index)) {  // a table of ctx, e.g. ctx:set("copy", ctx.vars.x)
        const bool ok = ToJson(L, -1, out, error, depth);
        lua_pop(L, 1);
        return ok;
      }
      error = "cannot store a ctx";
      return false;
    case LUA_TTABLE:
      break;
    default:
      error = std::string("cannot store a ") + luaL_typename(L, index);
      return false;
  }
  if (depth >= kMaxDepth || lua_checkstack(L, 4) == 0) {
    error = "tables nested deeper than 32 levels (or a cycle)";
    return false;
  }
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, index));
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++count;
    lua_pop(L, 1);
  }
  if (n > 0 && n == count) {
    json::Array array;
    array.reserve(static_cast<size_t>(n));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, i);
      json::Value item;
      const bool ok = ToJson(L, -1, item, error, depth + 1);
      lua_pop(L, 1);
      if (!ok) {
        return false;
      }
      array.push_back(std::move(item));
    }
    out = std::move(array);
    return true;
  }
  json::Object object;
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
    const char* key = lua_tolstring(L, -2, &len);
    object.emplace_back(std::string(key, len), std::move(item));
    lua_pop(L, 1);
  }
  std::sort(object.begin(), object.end(),
            [](const json::Member& a, const json::Member& b) { return a.first < b.first; });
  out = std::move(object);
  return true;
}

}  // namespace parley::script::detail
