-- auto-logout: ending one session while nobody is there, and the sweeper's
-- claim, each on one key, atomically (so on a Redis Cluster as on a single
-- server). Records are those of save.lua.
--
-- KEYS[1]  a session record, the sweep set ('w'), or a user's hash ('u')
-- ARGV[1]  mode:
--   'x'  end the live session for a reason: ARGV[2] the stamps text that
--        says why ('x.revoked'), ARGV[3] its stamps as the caller read
--        them or empty (end whatever they are), ARGV[4] the time to live
--        of what is left (milliseconds). Returns 1: ended by this call;
--        0: gone (ended, logged out, dropped); 2: its stamps changed.
--        What is left holds only 's', which no save overwrites (save.lua
--        treats a record without 'd' as gone).
--   'e'  end once (an expiry a request found, a logout, a flush): deletes
--        the record. Returns '0' when it was not live (gone, or ended
--        while nobody was there: its logout was written then), '1' when
--        this call ended it, '1' followed by its owner when it had one.
--   'w'  the sweeper's claim: ARGV[2] now, ARGV[3] how long a claim holds,
--        ARGV[4] at most this many. Returns the members due at now, each
--        moved to now + the claim's time, so another sweeper does not get
--        them meanwhile.
--   'p'  before an index entry whose record was not found is pruned: the
--        record may be a sign-in's, indexed and not yet created. Where
--        nothing is, a mark (only 'p', for ARGV[2] milliseconds) makes the
--        id unusable, so that create fails (save.lua 'c' writes only where
--        nothing is) and the sign-in indexes another id. Returns 1: gone for
--        good, prune; 0: live (created meanwhile), keep.
--   'u'  KEYS[1] a user's hash; ARGV[2], ARGV[3], ... pairs of a handle and
--        an id: each handle removed while it still names that id (a sign-in
--        whose first id was marked names its next one under the same
--        handle). Returns how many were removed.

local key = KEYS[1]
local mode = ARGV[1]

if mode == 'x' then
  local stored = redis.call('HMGET', key, 'd', 's')
  if not stored[1] then
    return 0
  end
  if ARGV[3] ~= '' and stored[2] ~= ARGV[3] then
    return 2
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 's', ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[4]))
  return 1
end

if mode == 'e' then
  local stored = redis.call('HMGET', key, 'd', 'u')
  redis.call('DEL', key)
  if not stored[1] then
    return '0'
  end
  return '1' .. (stored[2] or '')
end

if mode == 'w' then
  local now = tonumber(ARGV[2])
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
  local held = now + tonumber(ARGV[3])
  for _, member in ipairs(due) do
    redis.call('ZADD', key, held, member)
  end
  return due
end

if mode == 'p' then
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'p', '1')
    redis.call('PEXPIRE', key, tonumber(ARGV[2]))
    return 1
  end
  if redis.call('HEXISTS', key, 'd') == 1 then
    return 0
  end
  return 1
end

if mode == 'u' then
  local removed = 0
  for i = 2, #ARGV - 1, 2 do
    if redis.call('HGET', key, ARGV[i]) == ARGV[i + 1] then
      removed = removed + redis.call('HDEL', key, ARGV[i])
    end
  end
  return removed
end

return redis.error_reply('auto-logout: unknown mode')
