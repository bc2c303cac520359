LAST = "loaded"
local a = string.rep("x", 60000)
function write(ctx) LAST = ctx.reply; rawset(_G, "R", a .. a); _G.G = 1 end
function read(ctx) return LAST == "loaded" and R == nil and G == nil end
function patch(ctx) string.x = 1 end
function walk(ctx) for k in pairs(_G) do local _ = k end return true end
