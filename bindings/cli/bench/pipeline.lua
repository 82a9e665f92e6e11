-- wrk script that pipelines: `depth` copies of the GET in one write, and the
-- next batch only when all `depth` responses are in (wrk counts the requests
-- in the string and waits for as many responses). Debian's stock
-- /usr/share/doc/wrk/examples/pipeline.lua sends three fixed paths and
-- ignores its arguments.
--
--   wrk -t1 -c1 -d5s -s pipeline.lua http://127.0.0.1:8080/1k.bin -- 16
--
-- Arguments after `--`: depth (default 1), then an optional path (default:
-- the URL's path).

local batch

init = function(args)
    local depth = tonumber(args[1]) or 1
    local path = args[2] or wrk.path
    local requests = {}
    for i = 1, depth do
        requests[i] = wrk.format(nil, path)
    end
    batch = table.concat(requests)
end

request = function()
    return batch
end
