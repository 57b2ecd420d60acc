-- auto-logout: the save rule of src/save_rule.rs, applied to one session
-- record inside Redis, atomically. One key per call, so it runs on a Redis
-- Cluster as on a single server; only commands Valkey has too.
--
-- A record is a hash:
--   d  the session's data (JSON) without the stamps
--   e  the record's own expiry (the session layer's, as text; may be empty)
--   s  the stamps text, when the session has stamps
--   l  the login instant, 19 digits, zero-padded, when the stamps are readable
--   a  the last activity, the same way
--   u  the owner of a signed-in session (its user, handle, tag, client as
--      JSON), written by a sign-in's create, for the index of its user
-- Zero-padded numbers of one width compare as text in numeric order.
--
-- KEYS[1]  the record's key
-- ARGV[1]  mode: 'c' create (only if absent), 's' save, 't' time to live
-- ARGV[2]  our data       ARGV[3]  our stamps: 'n' none, 'b' unreadable, 'k' readable
-- ARGV[4]  our stamps text (empty for 'n')
-- ARGV[5]  our login      ARGV[6]  our last activity (19 digits, 'k' only)
-- ARGV[7]  time to live in milliseconds (above zero)
-- ARGV[8]  our expiry text
-- ARGV[9]  our owner (create only; empty for none)
--
-- Returns 0: nothing written (the record is gone, or another login is
-- stored); 1: ours written; 2: ours written with the stored stamps, which
-- hold the same login with a later last activity.

local key = KEYS[1]
local mode = ARGV[1]
local data, kind, stamps = ARGV[2], ARGV[3], ARGV[4]
local login, last = ARGV[5], ARGV[6]
local ttl = tonumber(ARGV[7])
local expiry = ARGV[8]

-- Each redis.call costs server time: the common case (readable stamps) is
-- one HSET and one PEXPIRE.
local function write_ours()
  if kind == 'k' then
    redis.call('HSET', key, 'd', data, 'e', expiry, 's', stamps, 'l', login, 'a', last)
  elseif kind == 'b' then
    redis.call('HSET', key, 'd', data, 'e', expiry, 's', stamps)
    redis.call('HDEL', key, 'l', 'a')
  else
    redis.call('HSET', key, 'd', data, 'e', expiry)
    redis.call('HDEL', key, 's', 'l', 'a', 'u')
  end
  redis.call('PEXPIRE', key, ttl)
end

if mode == 'c' then
  -- A new id: never over an existing record.
  if redis.call('EXISTS', key) == 1 then
    return 0
  end
  write_ours()
  if ARGV[9] and ARGV[9] ~= '' then
    redis.call('HSET', key, 'u', ARGV[9])
  end
  return 1
end

if mode == 't' then
  -- Only a record without stamps: one with stamps follows its session.
  if redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 's') == 0 then
    redis.call('PEXPIRE', key, ttl)
  end
  return 0
end

local stored = redis.call('HMGET', key, 'd', 's', 'l', 'a')
local stored_data, stored_stamps = stored[1], stored[2]
local stored_login, stored_last = stored[3], stored[4]

-- Gone (a logout, an expiry, or Redis dropped it; or ended while nobody
-- was there, which leaves only 's'): never re-created.
if not stored_data then
  return 0
end
-- Ours has no stamps (logged out, or never tracked): nothing to bring back.
if kind == 'n' then
  write_ours()
  return 1
end
-- No stamps stored: ours were started by this very request.
if not stored_stamps then
  if kind == 'k' then
    write_ours()
    return 1
  end
  return 0
end
-- Unreadable on our side: only over the very same text.
if kind == 'b' then
  if stored_stamps == stamps then
    write_ours()
    return 1
  end
  return 0
end
-- Unreadable in the store: the stored record wins.
if not stored_login then
  return 0
end
if stored_login == login then
  if stored_last > last then
    -- The same login, a later activity stored: ours with the stored stamps,
    -- and the later of the two times to live.
    redis.call('HSET', key, 'd', data, 'e', expiry)
    if redis.call('PTTL', key) < ttl then
      redis.call('PEXPIRE', key, ttl)
    end
    return 2
  end
  write_ours()
  return 1
end
-- A login made by this request, after the stored one.
if login > stored_login then
  write_ours()
  return 1
end
-- A later login in the store.
return 0
