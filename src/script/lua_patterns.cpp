// The matcher is written for the sandbox from the pattern rules in the Lua 5.4 reference
// manual; its results and error messages follow Lua's own (lua_script_test.cpp compares the
// two on a table of cases).
//
// Everything here runs inside Lua C functions and may raise Lua errors (longjmp): the code
// holds only plain data (pointers, integers, luaL_Buffer), never C++ objects with
// destructors.
#include "script/lua_patterns.hpp"

#include <cctype>
#include <cstddef>
#include <cstring>

#include "script/lua_sandbox.hpp"

namespace parley::script::detail {

namespace {

constexpr char kEscape = '%';
constexpr int kMaxCaptures = 32;     // as LUA_MAXCAPTURES
constexpr int kMaxRecursion = 200;   // nesting of the matcher, as Lua's MAXCCALLS
constexpr ptrdiff_t kOpen = -1;      // capture length: not closed yet
constexpr ptrdiff_t kPosition = -2;  // capture length: a position capture "()"
constexpr uint64_t kStepsPerCharge = 256;
constexpr const char* kSpecials = "^$*+?.([%-";

int Byte(char c) { return static_cast<unsigned char>(c); }

struct Capture {
  const char* start;
  ptrdiff_t len;
};

// One search: the subject, the pattern's end, the captures. Plain data.
struct Matcher {
  lua_State* L;
  const char* subject;
  const char* subject_end;
  const char* pattern_end;
  int level;       // captures in use
  int recursion;   // nesting left
  uint64_t steps;  // not charged yet
  Capture captures[kMaxCaptures];
};

void Prepare(Matcher& m, lua_State* L, const char* s, size_t ls, const char* p, size_t lp) {
  m.L = L;
  m.subject = s;
  m.subject_end = s + ls;
  m.pattern_end = p + lp;
  m.steps = 0;
}

void Restart(Matcher& m) {
  m.level = 0;
  m.recursion = kMaxRecursion;
}

void Step(Matcher& m, uint64_t n = 1) {
  m.steps += n;
  if (m.steps >= kStepsPerCharge) {
    const uint64_t steps = m.steps;
    m.steps = 0;
    Charge(m.L, steps);
  }
}

void Flush(Matcher& m) {
  const uint64_t steps = m.steps;
  m.steps = 0;
  Charge(m.L, steps);
}

// %a, %d, ...: `cl` is the letter; upper case is the complement. Other characters stand for
// themselves.
bool ClassMatches(int c, int cl) {
  bool hit = false;
  switch (std::tolower(cl)) {
    case 'a':
      hit = std::isalpha(c) != 0;
      break;
    case 'c':
      hit = std::iscntrl(c) != 0;
      break;
    case 'd':
      hit = std::isdigit(c) != 0;
      break;
    case 'g':
      hit = std::isgraph(c) != 0;
      break;
    case 'l':
      hit = std::islower(c) != 0;
      break;
    case 'p':
      hit = std::ispunct(c) != 0;
      break;
    case 's':
      hit = std::isspace(c) != 0;
      break;
    case 'u':
      hit = std::isupper(c) != 0;
      break;
    case 'w':
      hit = std::isalnum(c) != 0;
      break;
    case 'x':
      hit = std::isxdigit(c) != 0;
      break;
    case 'z':  // deprecated in Lua 5.2, still accepted by 5.4: the byte 0
      hit = c == 0;
      break;
    default:
      return cl == c;
  }
  return std::isupper(cl) != 0 ? !hit : hit;
}

// The end of the single-character class starting at `p` (p < pattern_end).
const char* ClassEnd(Matcher& m, const char* p) {
  const char c = *p++;
  if (c == kEscape) {
    if (p == m.pattern_end) {
      luaL_error(m.L, "malformed pattern (ends with '%%')");
    }
    return p + 1;
  }
  if (c == '[') {
    if (p < m.pattern_end && *p == '^') {
      ++p;
    }
    do {  // the set's first character may be ']' itself
      if (p == m.pattern_end) {
        luaL_error(m.L, "malformed pattern (missing ']')");
      }
      if (*p++ == kEscape && p < m.pattern_end) {
        ++p;
      }
    } while (p == m.pattern_end || *p != ']');
    return p + 1;
  }
  return p;
}

// Whether `c` is in the set [..] from `p` (the '[') to `end` (the ']').
bool MatchBracket(int c, const char* p, const char* end) {
  bool hit = true;
  if (p[1] == '^') {
    hit = false;
    ++p;
  }
  while (++p < end) {
    if (*p == kEscape) {
      ++p;
      if (ClassMatches(c, Byte(*p))) {
        return hit;
      }
    } else if (p[1] == '-' && p + 2 < end) {
      if (Byte(p[0]) <= c && c <= Byte(p[2])) {
        return hit;
      }
      p += 2;
    } else if (Byte(*p) == c) {
      return hit;
    }
  }
  return !hit;
}

// Whether the subject character at `s` matches the class p..ep.
bool SingleMatch(const Matcher& m, const char* s, const char* p, const char* ep) {
  if (s >= m.subject_end) {
    return false;
  }
  const int c = Byte(*s);
  switch (*p) {
    case '.':
      return true;
    case kEscape:
      return ClassMatches(c, Byte(p[1]));
    case '[':
      return MatchBracket(c, p, ep - 1);
    default:
      return Byte(*p) == c;
  }
}

const char* Match(Matcher& m, const char* s, const char* p);

// p..ep followed by '*' (or '+', with one character already matched): longest run first.
const char* MaxExpand(Matcher& m, const char* s, const char* p, const char* ep) {
  ptrdiff_t run = 0;
  while (SingleMatch(m, s + run, p, ep)) {
    ++run;
    Step(m);
  }
  for (; run >= 0; --run) {
    if (const char* end = Match(m, s + run, ep + 1)) {
      return end;
    }
  }
  return nullptr;
}

// p..ep followed by '-': shortest run first.
const char* MinExpand(Matcher& m, const char* s, const char* p, const char* ep) {
  for (;;) {
    if (const char* end = Match(m, s, ep + 1)) {
      return end;
    }
    if (!SingleMatch(m, s, p, ep)) {
      return nullptr;
    }
    ++s;
  }
}

const char* StartCapture(Matcher& m, const char* s, const char* p, ptrdiff_t what) {
  if (m.level >= kMaxCaptures) {
    luaL_error(m.L, "too many captures");
  }
  m.captures[m.level] = {s, what};
  ++m.level;
  const char* end = Match(m, s, p);
  if (end == nullptr) {
    --m.level;
  }
  return end;
}

const char* EndCapture(Matcher& m, const char* s, const char* p) {
  int open = m.level - 1;
  while (open >= 0 && m.captures[open].len != kOpen) {
    --open;
  }
  if (open < 0) {
    luaL_error(m.L, "invalid pattern capture");
  }
  m.captures[open].len = s - m.captures[open].start;
  const char* end = Match(m, s, p);
  if (end == nullptr) {
    m.captures[open].len = kOpen;
  }
  return end;
}

// %bxy at `p` (pointing at x).
const char* MatchBalance(Matcher& m, const char* s, const char* p) {
  if (p + 1 >= m.pattern_end) {
    luaL_error(m.L, "malformed pattern (missing arguments to '%%b')");
  }
  if (s >= m.subject_end || *s != p[0]) {
    return nullptr;
  }
  int depth = 1;
  while (++s < m.subject_end) {
    Step(m);
    if (*s == p[1]) {
      if (--depth == 0) {
        return s + 1;
      }
    } else if (*s == p[0]) {
      ++depth;
    }
  }
  return nullptr;
}

// %1..%9 in a pattern: the text of an earlier, closed capture.
const char* MatchBackReference(Matcher& m, const char* s, int digit) {
  const int l = digit - '1';
  if (l < 0 || l >= m.level || m.captures[l].len == kOpen) {
    luaL_error(m.L, "invalid capture index %%%d", l + 1);
  }
  const ptrdiff_t len = m.captures[l].len;
  if (len < 0) {
    return nullptr;  // a position capture matches no text
  }
  Step(m, 1 + static_cast<uint64_t>(len) / kScannedBytesPerInstruction);
  if (m.subject_end - s >= len && std::memcmp(m.captures[l].start, s, len) == 0) {
    return s + len;
  }
  return nullptr;
}

// Matches the pattern from `p` against the subject from `s`; the end of the match or null.
const char* MatchHere(Matcher& m, const char* s, const char* p) {
  while (p != m.pattern_end) {
    Step(m);
    switch (*p) {
      case '(':
        if (p + 1 < m.pattern_end && p[1] == ')') {
          return StartCapture(m, s, p + 2, kPosition);
        }
        return StartCapture(m, s, p + 1, kOpen);
      case ')':
        return EndCapture(m, s, p + 1);
      case '$':
        if (p + 1 == m.pattern_end) {
          return s == m.subject_end ? s : nullptr;
        }
        break;  // elsewhere '$' is an ordinary character
      case kEscape:
        if (p + 1 == m.pattern_end) {
          break;  // ClassEnd reports it
        }
        if (p[1] == 'b') {
          s = MatchBalance(m, s, p + 2);
          if (s == nullptr) {
            return nullptr;
          }
          p += 4;
          continue;
        }
        if (p[1] == 'f') {
          p += 2;
          if (p == m.pattern_end || *p != '[') {
            luaL_error(m.L, "missing '[' after '%%f' in pattern");
          }
          const char* ep = ClassEnd(m, p);
          const int before = s == m.subject ? 0 : Byte(s[-1]);
          const int here = s < m.subject_end ? Byte(*s) : 0;
          if (MatchBracket(before, p, ep - 1) || !MatchBracket(here, p, ep - 1)) {
            return nullptr;
          }
          p = ep;
          continue;
        }
        if (std::isdigit(Byte(p[1])) != 0) {
          s = MatchBackReference(m, s, Byte(p[1]));
          if (s == nullptr) {
            return nullptr;
          }
          p += 2;
          continue;
        }
        break;
      default:
        break;
    }
    // A single-character class, maybe followed by a quantifier.
    const char* ep = ClassEnd(m, p);
    const char quantifier = ep < m.pattern_end ? *ep : '\0';
    if (!SingleMatch(m, s, p, ep)) {
      if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
        p = ep + 1;  // zero repetitions
        continue;
      }
      return nullptr;
    }
    switch (quantifier) {
      case '?':
        if (const char* end = Match(m, s + 1, ep + 1)) {
          return end;
        }
        p = ep + 1;
        continue;
      case '+':
        return MaxExpand(m, s + 1, p, ep);
      case '*':
        return MaxExpand(m, s, p, ep);
      case '-':
        return MinExpand(m, s, p, ep);
      default:
        ++s;
        p = ep;
        continue;
    }
  }
  return s;
}

const char* Match(Matcher& m, const char* s, const char* p) {
  if (m.recursion == 0) {
    luaL_error(m.L, "pattern too complex");
  }
  --m.recursion;
  const char* end = MatchHere(m, s, p);
  ++m.recursion;
  return end;
}

// Pushes capture `i`; with no captures, capture 0 is the whole match s..e.
void PushCapture(Matcher& m, int i, const char* s, const char* e) {
  if (i >= m.level) {
    if (i != 0) {
      luaL_error(m.L, "invalid capture index %%%d", i + 1);
    }
    lua_pushlstring(m.L, s, e - s);
    return;
  }
  const Capture& c = m.captures[i];
  if (c.len == kOpen) {
    luaL_error(m.L, "unfinished capture");
  }
  if (c.len == kPosition) {
    lua_pushinteger(m.L, (c.start - m.subject) + 1);
  } else {
    lua_pushlstring(m.L, c.start, c.len);
  }
}

// Pushes every capture (or the whole match when there are none and `s` is not null).
int PushCaptures(Matcher& m, const char* s, const char* e) {
  const int n = (m.level == 0 && s != nullptr) ? 1 : m.level;
  luaL_checkstack(m.L, n, "too many captures");
  for (int i = 0; i < n; ++i) {
    PushCapture(m, i, s, e);
  }
  return n;
}

bool HasSpecials(const char* p, size_t lp) {
  for (size_t i = 0; i < lp; ++i) {
    if (p[i] != '\0' && std::strchr(kSpecials, p[i]) != nullptr) {
      return true;
    }
  }
  return false;
}

// string.find and string.match.
int Find(lua_State* L, bool find) {
  size_t ls = 0;
  size_t lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const auto init = static_cast<size_t>(StartPosition(luaL_optinteger(L, 3, 1), ls) - 1);
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) != 0 || !HasSpecials(p, lp))) {
    Charge(L, 1 + (ls - init + lp) / kScannedBytesPerInstruction);  // memmem is linear
    const void* hit = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
    if (hit == nullptr) {
      luaL_pushfail(L);
      return 1;
    }
    const ptrdiff_t at = static_cast<const char*>(hit) - s;
    lua_pushinteger(L, at + 1);
    lua_pushinteger(L, at + static_cast<ptrdiff_t>(lp));
    return 2;
  }
  Matcher m;
  Prepare(m, L, s, ls, p, lp);
  const bool anchor = *p == '^';  // Lua strings end with '\0', so *p is readable
  if (anchor) {
    ++p;
  }
  const char* start = s + init;
  do {
    Restart(m);
    if (const char* end = Match(m, start, p)) {
      Flush(m);
      if (find) {
        lua_pushinteger(L, (start - s) + 1);
        lua_pushinteger(L, end - s);
        return PushCaptures(m, nullptr, nullptr) + 2;
      }
      return PushCaptures(m, start, end);
    }
  } while (start++ < m.subject_end && !anchor);
  Flush(m);
  luaL_pushfail(L);
  return 1;
}

int StrFind(lua_State* L) { return Find(L, true); }
int StrMatch(lua_State* L) { return Find(L, false); }

// The gmatch iterator. Upvalues: subject, pattern, next start (0-based), end of the last
// match (-1 for none).
int GmatchNext(lua_State* L) {
  size_t ls = 0;
  size_t lp = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char* p = lua_tolstring(L, lua_upvalueindex(2), &lp);
  const lua_Integer from = lua_tointeger(L, lua_upvalueindex(3));
  const lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
  Matcher m;
  Prepare(m, L, s, ls, p, lp);
  for (const char* start = s + from; start <= m.subject_end; ++start) {
    Restart(m);
    const char* end = Match(m, start, p);
    if (end != nullptr && end - s != last) {
      lua_pushinteger(L, end - s);
      lua_replace(L, lua_upvalueindex(3));
      lua_pushinteger(L, end - s);
      lua_replace(L, lua_upvalueindex(4));
      Flush(m);
      return PushCaptures(m, start, end);
    }
  }
  Flush(m);
  return 0;
}

// string.gmatch(s, pattern [, init]). A leading '^' is an ordinary character here, as in
// Lua.
int StrGmatch(lua_State* L) {
  size_t ls = 0;
  luaL_checklstring(L, 1, &ls);
  luaL_checkstring(L, 2);
  auto init = static_cast<size_t>(StartPosition(luaL_optinteger(L, 3, 1), ls) - 1);
  if (init > ls) {
    init = ls + 1;  // past the end: no matches
  }
  lua_settop(L, 2);
  lua_pushinteger(L, static_cast<lua_Integer>(init));
  lua_pushinteger(L, -1);
  lua_pushcclosure(L, GmatchNext, 4);
  return 1;
}

// A replacement string: %0 is the match, %1..%9 captures, %% a '%'.
void AddReplacementString(Matcher& m, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = m.L;
  size_t len = 0;
  const char* text = lua_tolstring(L, 3, &len);
  const char* end = text + len;
  const char* esc = nullptr;
  while ((esc = static_cast<const char*>(std::memchr(text, kEscape, end - text))) != nullptr) {
    luaL_addlstring(b, text, esc - text);
    const char c = esc[1];  // the string ends with '\0', so esc[1] is readable
    if (c == kEscape) {
      luaL_addchar(b, kEscape);
    } else if (c == '0') {
      luaL_addlstring(b, s, e - s);
    } else if (std::isdigit(Byte(c)) != 0) {
      PushCapture(m, c - '1', s, e);
      luaL_tolstring(L, -1, nullptr);
      lua_remove(L, -2);
      luaL_addvalue(b);
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", kEscape);
    }
    text = esc + 2;
  }
  luaL_addlstring(b, text, end - text);
}

// Adds the replacement for the match s..e; false when it keeps the original text.
bool AddReplacement(Matcher& m, luaL_Buffer* b, const char* s, const char* e, int repl_type) {
  lua_State* L = m.L;
  if (repl_type == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    const int n = PushCaptures(m, s, e);
    lua_call(L, n, 1);
  } else if (repl_type == LUA_TTABLE) {
    PushCapture(m, 0, s, e);
    lua_gettable(L, 3);
  } else {
    AddReplacementString(m, b, s, e);
    return true;
  }
  if (lua_toboolean(L, -1) == 0) {  // nil or false: keep the match
    lua_pop(L, 1);
    luaL_addlstring(b, s, e - s);
    return false;
  }
  if (lua_isstring(L, -1) == 0) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);
  return true;
}

// string.gsub(s, pattern, repl [, n]).
int StrGsub(lua_State* L) {
  size_t ls = 0;
  size_t lp = 0;
  const char* src = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const int repl_type = lua_type(L, 3);
  const lua_Integer max_n = luaL_optinteger(L, 4, static_cast<lua_Integer>(ls) + 1);
  luaL_argexpected(L,
                   repl_type == LUA_TNUMBER || repl_type == LUA_TSTRING ||
                       repl_type == LUA_TFUNCTION || repl_type == LUA_TTABLE,
                   3, "string/function/table");
  Matcher m;
  Prepare(m, L, src, ls, p, lp);
  const bool anchor = *p == '^';
  if (anchor) {
    ++p;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char* last_match = nullptr;
  lua_Integer n = 0;
  bool changed = false;
  while (n < max_n) {
    Restart(m);
    const char* end = Match(m, src, p);
    if (end != nullptr && end != last_match) {
      ++n;
      changed = AddReplacement(m, &b, src, end, repl_type) || changed;
      src = last_match = end;
    } else if (src < m.subject_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) {
      break;
    }
  }
  Flush(m);
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, m.subject_end - src);
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

}  // namespace

void InstallPatterns(lua_State* L, int string_table) {
  const luaL_Reg functions[] = {
      {"find", StrFind}, {"match", StrMatch}, {"gmatch", StrGmatch}, {"gsub", StrGsub}};
  for (const luaL_Reg& f : functions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, string_table, f.name);
  }
}

}  // namespace parley::script::detail
