-- wrk script for cost.py: pipelines like pipeline.lua (`depth` copies of the
-- GET in one write, the next batch only when the whole batch is answered),
-- and ends the process after exactly `count` responses, so that callgrind
-- and dhat can count a known number of requests.
--
--   wrk -t1 -c1 -d600s -s pipeline-count.lua http://127.0.0.1:8080/1k.bin -- 16 20000
--
-- Arguments after `--`: depth, then count (a multiple of depth).
--
-- wrk calls request() once for every batch it writes, and only when the
-- previous batch is fully answered, so the call after the last batch is the
-- moment `count` responses are in. `wrk.thread:stop()` would only end this
-- thread's event loop while wrk's main thread sleeps out `-d`; exiting here
-- ends the run at once. wrk also calls request() once on this thread's Lua
-- state before the run, to count the requests in a batch.
--
-- Only request() is defined, not response(), so wrk does no per-response
-- Lua work, as in its requests/s runs with pipeline.lua.

local batch
local depth
local batches
local calls = 0

init = function(args)
    depth = tonumber(args[1])
    local count = tonumber(args[2])
    if not depth or not count or depth < 1 or count < depth or count % depth ~= 0 then
        io.stderr:write("pipeline-count.lua: expected `-- DEPTH COUNT`, COUNT a multiple of DEPTH\n")
        os.exit(2)
    end
    local requests = {}
    for i = 1, depth do
        requests[i] = wrk.format(nil, wrk.path)
    end
    batch = table.concat(requests)
    batches = count / depth
end

request = function()
    calls = calls + 1
    -- One call to count the batch's requests, then one per batch written.
    if calls == batches + 2 then
        io.stderr:write(string.format("pipeline-count.lua: %d responses\n", batches * depth))
        os.exit(0)
    end
    return batch
end
