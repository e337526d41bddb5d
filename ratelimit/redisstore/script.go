package redisstore

import (
	"github.com/redis/go-redis/v9"

	"github.com/apishield/apishield/ratelimit"
)

// A Store is a ratelimit.Store.
var _ ratelimit.Store = (*Store)(nil)

// gcraScript decides all policies of one key. KEYS are the key's per-policy
// Redis keys, all in one hash slot; ARGV[1] is the cost and ARGV[2i],
// ARGV[2i+1] the i'th policy's emission interval and tolerance in
// microseconds. For each policy it replies how far the theoretical arrival
// time was ahead of Redis's clock before the decision, max(tat, now) − now:
// an integer for one policy, an array for several. That is everything the
// decision depends on, so the client runs the same integer GCRA on it
// ([ratelimit.Decision.Decide]) and fills in the outcome, remaining units, resets and retry times
// without a second source of truth. The script spends the cost only when
// every policy admits it.
//
// It is written for speed inside Redis, where it runs single-threaded:
// one TIME, one GET (MGET for several policies) and one SET … PX per
// policy when the cost is admitted, and a small reply. Each redis.call and
// each table costs Redis more than the arithmetic does.
//
// Numbers stay below 2^53, so Lua's doubles hold them exactly, and Redis
// passes number arguments of redis.call on with 17 significant digits
// (not Lua's 14), so they are stored exactly too.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local cost = tonumber(ARGV[1])
if #KEYS == 1 then
  local tat = tonumber(redis.call('GET', KEYS[1])) or now
  if tat < now then tat = now end
  local new = tat + cost * ARGV[2]
  if cost > 0 and new - ARGV[3] <= now then
    redis.call('SET', KEYS[1], new, 'PX', math.ceil((new - now) / 1000))
  end
  return tat - now
end
local ahead = redis.call('MGET', unpack(KEYS))
local admit = cost > 0
for i = 1, #KEYS do
  local tat = tonumber(ahead[i]) or now
  if tat < now then tat = now end
  ahead[i] = tat - now
  if tat + cost * ARGV[2*i] - ARGV[2*i+1] > now then admit = false end
end
if admit then
  for i = 1, #KEYS do
    local ttl = ahead[i] + cost * ARGV[2*i]
    redis.call('SET', KEYS[i], now + ttl, 'PX', math.ceil(ttl / 1000))
  end
end
return ahead
`)
