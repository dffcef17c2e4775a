-- wrk script for bench/serve_bench.sh: replays pre-signed Stripe events (one per line,
-- "<Stripe-Signature>\t<payload>", from the file named after "--"), each once while they last.
local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    requests[#requests + 1] = wrk.format("POST", "/webhooks/stripe", {
      ["Stripe-Signature"] = line:sub(1, tab - 1),
      ["Content-Type"] = "application/json",
    }, line:sub(tab + 1))
  end
end

function request()
  next_index = next_index + 1
  if next_index > #requests then next_index = 1 end  -- past the end: duplicates (reported)
  return requests[next_index]
end
