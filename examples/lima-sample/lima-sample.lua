-- Handlers for lima-sample.json, the schema example of the system parley replaces.
-- Each global function is a condition (returns a boolean) or an action (uses ctx methods).
-- Conditions get a read-only ctx. ctx.reply is nil on timer events, so every reply check
-- guards against it.

local YES = { yes = true, y = true, yeah = true, yep = true, yup = true, sure = true,
              ok = true, okay = true, si = true, ["sí"] = true, claro = true, vale = true,
              dale = true }
local NO = { no = true, n = true, nope = true, nah = true, nunca = true,
             ["no thanks"] = true, ["no gracias"] = true }

-- Trims whitespace from both ends.
local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- string.lower is ASCII only: the accented capitals Spanish answers use, lowercased.
local LOWER = { ["Á"] = "á", ["É"] = "é", ["Í"] = "í", ["Ó"] = "ó", ["Ú"] = "ú", ["Ñ"] = "ñ" }

-- The reply as a lowercased word without surrounding punctuation ("Yes!" -> "yes",
-- "¡SÍ!" -> "sí"), or nil when there is no reply (timer events).
local function answer(ctx)
  if ctx.reply == nil then return nil end
  local a = ctx.reply:lower():gsub("\xC3[\x81\x89\x8D\x93\x9A\x91]", LOWER)
  a = a:gsub("\xC2[\xA1\xBF]", "")  -- the inverted marks ¡ and ¿
  return (a:match("^[%s%p]*(.-)[%s%p]*$"):gsub("%s+", " "))
end

-- The initial state's condition: never evaluated for the initial state, but the name
-- must resolve. Any message will do.
function get_smth_from_user(ctx)
  return true
end

function init(ctx)
  ctx:send("Hi! Would you like to receive daily check-ins? Reply YES or NO.")
end

function is_user_reply_yes(ctx)
  local a = answer(ctx)
  return a ~= nil and YES[a] == true
end

function is_user_reply_no(ctx)
  local a = answer(ctx)
  return a ~= nil and NO[a] == true
end

function ask_name(ctx)
  ctx:send("Great! What is your name?")
end

function user_reply_name(ctx)
  return ctx.reply ~= nil and ctx.reply:match("%S") ~= nil
end

function greet_user_create_task(ctx)
  local name = trim(ctx.reply)
  ctx:set("name", name)
  ctx:send("Nice to meet you, " .. name .. "! We will check in with you tomorrow.")
  ctx:timer{ name = "followup", after = "1d" }
end

function say_np(ctx)
  ctx:send("No problem. Text us any time if you change your mind.")
end
