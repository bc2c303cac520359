// The sandbox's pattern functions must behave as Lua's own: both run on the same cases in
// an ordinary Lua state, and results and error messages are compared.
#include "script/lua_patterns.hpp"

#include <gtest/gtest.h>

#include <lua.hpp>

#include "script/lua_sandbox.hpp"

namespace parley::script::detail {
namespace {

// Cases run with pcall through both implementations; the first difference is returned.
constexpr const char* kCompare = R"lua(
local P = ...
local function pack(...) return { n = select("#", ...), ... } end
local function show(r)
  local out = {}
  for i = 1, r.n do
    local v = r[i]
    if type(v) == "string" then v = string.format("%q", v) end
    out[#out + 1] = tostring(v)
  end
  return table.concat(out, ", ")
end
local function run(f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then  -- the library's name for the function differs: drop it
    r[2] = tostring(r[2]):gsub("bad argument #(%d+) to '[^']*'", "bad argument #%1")
  end
  return r
end
local function each(f, ...)  -- all results of a gmatch loop
  local all = {}
  for a, b, c in f(...) do all[#all + 1] = tostring(a) .. "|" .. tostring(b) .. "|" .. tostring(c) end
  return table.concat(all, ";")
end
local function check(what, a, b, ...)
  local x, y = show(run(a, ...)), show(run(b, ...))
  if x ~= y then
    local args = {}
    for i = 1, select("#", ...) do args[i] = string.format("%q", tostring((select(i, ...)))) end
    error(what .. "(" .. table.concat(args, ", ") .. "): lua " .. x .. " / sandbox " .. y, 0)
  end
end

local subjects = { "", "a", "hello world", "  padded  text  ", "aaab", "baaac",
  "x = (a + (b * c)) - [d]", "THE (quick) fox", "key=val, k2=v2", "a.b+c*d?e", "a\0b\0c",
  "\xC2\xA1S\xC3\x8D!", "120 mg/dl", "5,5", "'quoted' \"double\"", "one\ttwo\nthree",
  "^caret$", "%percent%" }
local patterns = { "", "a", "o", "o w", "l+", ".", "%a+", "%d+", "%l", "%u+", "%s", "%S+",
  "%w+", "%x+", "%p", "%c", "%g+", "%A+", "%D", "[%a_][%w_]*", "[^%s]+", "[a-c]+", "[]]",
  "[^]]+", "[a-]", "[-a]", "[%]]", "[%-]", "[a%-z]+", "%.", "%%", "a*", "a-", "a?", "a-b",
  ".-", "(.-)%s*$", "^%s*(.-)%s*$", "^[%s%p]*(.-)[%s%p]*$", "^a", "^", "$", "a$", "^$",
  "a$b", "^^", "(a)(b)", "()a()", "(a(b)c)", "((a)(b))", "(%d+)-(%d+)", "(%a+)=(%a+%d?)",
  "(a)%1", "([\"'])(.-)%1", "(a)%2", "%1", "(a%1)", "()%1", "%b()", "%b[]", "%b''", "%b",
  "%bx", "%f[%a]%a+", "%f[%w]", "%f[%W]", "%fa", "%f", "(", ")", "a)", "%", "[a", "[",
  "[^", "(()", "[%", "%z", "%q", "\0", "[\0]", "[\xC2-\xC3]", "%d+%s*mg", "^(%d+)[,.](%d+)$",
  "+", "*a", "a**", "-", "?", "(a*(.)%w(%s*))", "[%a-z]", "[a-%%]" }
for _, s in ipairs(subjects) do
  for _, p in ipairs(patterns) do
    check("find", string.find, P.find, s, p)
    check("match", string.match, P.match, s, p)
    check("gmatch", function(...) return each(string.gmatch, ...) end,
          function(...) return each(P.gmatch, ...) end, s, p)
    for _, repl in ipairs({ "<%0>", "%1-%1", "%%", "%2", "%", "%x", "" }) do
      check("gsub", string.gsub, P.gsub, s, p, repl)
    end
    check("gsub", string.gsub, P.gsub, s, p, "x", 1)
    check("gsub", string.gsub, P.gsub, s, p, { a = "A", o = false, l = 7 })
    check("gsub", string.gsub, P.gsub, s, p, function(c) return c == "a" and "!" or nil end)
  end
end
local inits = { 0, 1, 2, 3, -1, -2, -100, 100, 12, 13 }
for _, s in ipairs({ "hello world", "", "aaa" }) do
  for _, p in ipairs({ "o", "l+", "", "^h", "a", "()" }) do
    for _, i in ipairs(inits) do
      check("find", string.find, P.find, s, p, i)
      check("find", string.find, P.find, s, p, i, true)
      check("match", string.match, P.match, s, p, i)
      check("gmatch", function(...) return each(string.gmatch, ...) end,
            function(...) return each(P.gmatch, ...) end, s, p, i)
    end
  end
end
-- Plain finds, argument errors, odd replacements.
for _, args in ipairs({ { "a+b", "+", 1, true }, { "a.b", ".", 1, true }, { "abc", "", 4 },
    { "abc", "", 5 }, { 12345, 34 }, { "abc", {} }, { nil, "a" }, { "abc", "b", "x" } }) do
  check("find", string.find, P.find, table.unpack(args, 1, 4))
end
for _, args in ipairs({ { "abc", ".", 5 }, { "abc", ".", true }, { "abc", "%w", "x", 0 },
    { "abc", "%w", "x", -1 }, { "hello", "(l)", function() return {} end },
    { "hello", "l", function() return 1.5 end }, { "abc", "(b)", { b = true } } }) do
  check("gsub", string.gsub, P.gsub, table.unpack(args, 1, 4))
end
-- Limits: too many captures; too deep.
check("find", string.find, P.find, "a", string.rep("()", 33))
check("find", string.find, P.find, string.rep("a", 300), string.rep("a?", 300))
return "same"
)lua";

TEST(LuaPatterns, MatchLuasOwnStringLibrary) {
  lua_State* L = luaL_newstate();
  ASSERT_NE(L, nullptr);
  CallOf(L) = nullptr;  // no budget in this plain state
  luaL_openlibs(L);
  ASSERT_EQ(luaL_loadstring(L, kCompare), LUA_OK) << lua_tostring(L, -1);
  lua_newtable(L);
  InstallPatterns(L, lua_gettop(L));
  const int rc = lua_pcall(L, 1, 1, 0);
  EXPECT_EQ(rc, LUA_OK) << lua_tostring(L, -1);
  if (rc == LUA_OK) {
    EXPECT_STREQ(lua_tostring(L, -1), "same");
  }
  lua_close(L);
}

}  // namespace
}  // namespace parley::script::detail
