// The Lua scripts of the pending payments (pending-payments.ts names the keys they work on): each runs atomically
// in Redis, so a claim, an assignment or a take-over is never seen half done by another instance.
import { LuaScript } from './lua-script';

/** The window is kept in this many slices, plus the current one: Redis holds at most 1.25 windows of ids. */
export const WINDOW_SLICES = 4;

// The slice keys of the window, newest first, from Redis' clock: ARGV[base] is the slice key's prefix,
// ARGV[base + 1] a slice's length in ms. Shared by the scripts below.
const WINDOW_LUA = `
local function window(base)
  local t = redis.call('TIME')
  local sliceMs = tonumber(ARGV[base + 1])
  local current = math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / sliceMs)
  local keys = {}
  for i = 0, ${WINDOW_SLICES} do keys[#keys + 1] = ARGV[base] .. (current - i) end
  -- The newest slice is read until ${WINDOW_SLICES} more have begun: an id in it is remembered at least a window.
  return keys, (current + ${WINDOW_SLICES} + 1) * sliceMs
end
local expiring = {}
local function remember(key, expireAt, id)
  local added = redis.call('SADD', key, id)
  if added == 1 and not expiring[key] then
    -- Once per script run: every id of a batch goes to the same slice.
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIREAT', key, expireAt) end
    expiring[key] = true
  end
  return added
end
`;
// Adds each payment not known (in the window, or pending at any instance) to the window and to the
// owner's pending hash; returns the fresh ids. ARGV[1] is the epoch this instance knows ('' before it
// knows one): when the marker differs, Redis has lost (or rebuilt) the dedupe memory since, and nothing
// is claimed. A fresh id may still have been recorded before the window: the caller checks Postgres.
export const CLAIM_FRESH = new LuaScript(`${WINDOW_LUA}
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('EPOCH') end
local slices, expireAt = window(2)
local hashes = { KEYS[1] }
for _, owner in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local key = ARGV[4] .. owner
  if key ~= KEYS[1] then hashes[#hashes + 1] = key end
end
local fresh = {}
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local known = remember(slices[1], expireAt, id) == 0
  if not known then
    for s = 2, #slices do
      if redis.call('SISMEMBER', slices[s], id) == 1 then known = true break end
    end
  end
  if not known then
    for _, h in ipairs(hashes) do
      if redis.call('HEXISTS', h, id) == 1 then known = true break end
    end
  end
  if not known then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    fresh[#fresh + 1] = id
  elseif redis.call('HGET', KEYS[1], id) == ARGV[i + 1] then
    -- This very claim, tried again (its answer was lost, or its replicas had not confirmed it): still fresh.
    -- Its value names the acceptance (claim), so a re-post is never taken for it. Asked of known ids only.
    fresh[#fresh + 1] = id
  end
end
return fresh`);

// Adds ids to the window's newest slice (what an instance puts back, and the ids Postgres holds for
// the window, after Redis lost its data).
export const REMEMBER = new LuaScript(`${WINDOW_LUA}
local slices, expireAt = window(1)
for i = 3, #ARGV do remember(slices[1], expireAt, ARGV[i]) end
return #ARGV - 2`);

// Records assignments only for payments still owned here: another instance may have claimed them
// after a missed heartbeat (then they are in its hash). Checked against the epoch: after Redis lost
// its data every hash is empty until the rebuild has each instance put back what it holds, so an
// assignment waits for that instead of mistaking "forgotten" for "taken". Returns the ids updated.
export const ASSIGN_OWNED = new LuaScript(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('EPOCH') end
local owned = {}
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    owned[#owned + 1] = ARGV[i]
  end
end
return owned`);

// Moves at most ARGV[3] payments from a hash of pending payments (KEYS[1]) into this instance's (KEYS[2]),
// atomically, listing them in its adopting set (KEYS[5]), and returns them. The hash is a dead instance's
// (ARGV[1], skipped while its alive key KEYS[3] exists, and struck off the instances set KEYS[4] once emptied)
// or this instance's leftovers from a previous life (ARGV[1] empty). In chunks, so that a take-over of tens of
// thousands neither blocks Redis in one script nor arrives in memory at once. Should the answer be lost
// (ioredis then runs it again, and it moves the next chunk, or nothing), the adopting set still tells the
// claimer what the first run moved.
export const CLAIM_ORPHANS = new LuaScript(`
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local limit = tonumber(ARGV[3])
local moved = {}
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', limit)
  cursor = page[1]
  for i = 1, #page[2], 2 do
    if #moved < limit * 2 then
      moved[#moved + 1] = page[2][i]
      moved[#moved + 1] = page[2][i + 1]
    end
  end
until cursor == '0' or #moved >= limit * 2
for i = 1, #moved, 2 do
  redis.call('HSET', KEYS[2], moved[i], moved[i + 1])
  redis.call('SADD', KEYS[5], moved[i])
  redis.call('HDEL', KEYS[1], moved[i])
end
if #moved > 0 then redis.call('PEXPIRE', KEYS[5], ARGV[2]) end
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
return moved`);

// At start-up, what a previous life of this instance left pending (KEYS[1]) is set aside (KEYS[2]), to be taken
// back in chunks as room allows; set aside twice (a crash before the first was taken back), the two join.
export const SET_ASIDE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('HLEN', KEYS[2]) end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return redis.call('HLEN', KEYS[2])
end
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', 1000)
  cursor = page[1]
  for i = 1, #page[2], 2 do redis.call('HSET', KEYS[2], page[2][i], page[2][i + 1]) end
until cursor == '0'
redis.call('DEL', KEYS[1])
return redis.call('HLEN', KEYS[2])`);
