function cond(ctx) return ctx.reply == "yes" and ctx.vars.n == 1 end
function act(ctx)
  ctx:set("x", {a = 1, b = {"c"}})
  ctx:send{text = "hi", media = {"https://x"}}
  ctx:timer{name = "t", after = "1h"}
  ctx:cancel("t")
  local s = string.rep("ab", 10):gsub("a", "b")
  for w in string.gmatch("a b c", "%a+") do ctx:send(w) end
  return load("return 1")()
end
