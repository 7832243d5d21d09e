-- wrk script of the proxy benchmark: POST a small chat completion (the same body as load.mjs).
-- wrk connects within a millisecond of its exec; Raypher's exec ledger treats every socket a program holds in its
-- first 10 ms as inherited (identity/exec-ledger.ts, FRESH_AFTER_EXEC_NS), so wrk first spins for 30 ms.
local t = os.clock()
while os.clock() - t < 0.03 do end
wrk.method = "POST"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Raypher-Token"] = "dummy"
