#!lua name=couponflow
--[[
couponflow: the one place where coupon stock is taken.

Every function touches the keys of one coupon only, all passed in KEYS and all sharing the coupon's
hash tag, so the library runs unchanged on Redis Cluster. P is the deployment's key prefix
(COUPON_REDIS_PREFIX, "cf" by default), C the coupon id, B the coupon's bucket count (a power of
two), and bucket(s) = crc32(s) mod B, computed by the caller:

  P:{C}:m          hash    definition (version, name, total, limit, threshold, discount, starts,
                           ends, status, buckets), live counters (stock, accepted, reversed) and
                           epoch: the Redis incarnation in which the coupon's state was last
                           known whole (see "Fencing" below)
  P:{C}:u:<b>      hash    userId -> accepted redemptions the user holds     (b = bucket(userId))
  P:{C}:o:<b>      hash    orderId -> the order's latest redemption record   (b = bucket(orderId))
  P:{C}:i:<b>      hash    idempotency key -> "orderId.generation"           (b = bucket(key))
  P:{C}:h          hash    "orderId.generation" -> a reversed record replaced by a newer one
  P:{C}:x          stream  the outbox: one entry per accept (t=A) and per reversal (t=R), deleted
                           by the sink once MySQL holds it

A record is "generation|userId|amountCents|discountCents|acceptedAtMs|A|" while accepted and
"...|R|reversedAtMs" once reversed. A redemption id is "C.orderId.generation".

Buckets keep each hash small enough for Redis's compact listpack encoding, which is what holds the
memory per accepted redemption near 140 bytes once its outbox entry is gone (MemoryIT measures it). The i buckets expire at max(ends, now) + retention, so an
idempotency key is remembered for at least the retention after its redemption.

Fencing. Redis can come back with less than it acknowledged: a restart that replays an AOF
written with appendfsync everysec loses the last second or so, and a replica promoted after its
master failed lacks what had not reached it yet. MySQL then holds redemptions Redis forgot, and a
Redis that went on deciding would sell their stock again and accept their orders, users and keys
anew. So a coupon decides only in the incarnation in which its state was last known whole. The
incarnation is the node's replication id (master_replid): Redis draws a new one when a master
starts and when a replica is promoted, and never reuses one, so every event that can lose
acknowledged writes changes it, on the node itself, whoever is watching. A coupon whose epoch field
is not the node's current replication id is fenced: cf_redeem, cf_reverse and cf_get answer FENCED
and change nothing. It stays fenced until a repair from MySQL (cf_repair_begin, cf_repair_write,
cf_repair_end) has rebuilt its records and counters in this incarnation and set its epoch. A repair
interrupted by another restart cannot unfence: its token names the incarnation it began in.
Repairs and coupon creation wait until the incarnation is settle_ms old (cf_repair_begin), so that
redemptions a gateway accepted just before the loss have reached MySQL from its queue first.

Each writing function runs all of its checks before its first write: Lua does not roll back.
Times come from the Redis clock (TIME), never from the caller. Arguments are checked as strictly as
the API checks them (ids, keys, amounts), so a call typed into redis-cli cannot corrupt a record.
]]

local LIBRARY_VERSION = 8

-- Every refusal of the library is an error reply that starts with "couponflow:", as the README
-- promises: raised as an error reply, not as a plain string, to which Redis would prepend
-- "ERR user_function:<line>: ". This local shadows Lua's error for the rest of the library; the
-- error called in its body is still Lua's (a local is not in scope in its own initializer), and
-- it is looked up only when called, because a library may not touch that global while it loads.
local error = function(message)
  error(redis.error_reply(message))
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function int(n)
  return string.format('%d', n)
end

-- This node's incarnation as this Lua VM has seen it: the replication id and, as late as can be
-- known, the time it began. The VM is rebuilt when Redis restarts, when a replica reloads its data
-- from its master and when the library is loaded again; then the beginning is the process start
-- when the node was never promoted in this process (its id was drawn at start), else the first
-- call that saw the id. Late is safe: it only makes a repair wait longer.
local incarnation = nil

local function current_incarnation()
  local info = redis.call('INFO', 'replication')
  local id = string.match(info, 'master_replid:(%x+)')
  if incarnation == nil or incarnation.id ~= id then
    local since = now_ms()
    if incarnation == nil and string.match(info, 'second_repl_offset:%-1') then
      local uptime = string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)')
      since = since - tonumber(uptime) * 1000
    end
    incarnation = { id = id, since = since }
  end
  return incarnation
end

local function current_epoch()
  return current_incarnation().id
end

local MAX_AMOUNT = 1000000000000
local MAX_GENERATION = 999999999
local MAX_MS = 9007199254740991

-- A whole number written in digits, negative or not, within -MAX_MS..MAX_MS. What tonumber takes
-- besides (' 7', '7.', '0x10', '1e3') is refused, and so is a number a Lua number does not hold
-- exactly, which int() would write back as garbage (-9223372036854775808).
local function arg_number(args, i, name)
  local v = args[i]
  if v == nil or not string.match(v, '^%-?%d+$') or math.abs(tonumber(v)) > MAX_MS then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be a whole number -' ..
      string.format('%d', MAX_MS) .. '..' .. string.format('%d', MAX_MS) .. ', got ' .. tostring(v))
  end
  return tonumber(v)
end

local function arg_text(args, i, name)
  local v = args[i]
  if v == nil or v == '' then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must not be empty')
  end
  return v
end

-- A whole number written in digits only, 0..max.
local function arg_count(args, i, name, max)
  local v = args[i]
  if v == nil or not string.match(v, '^%d+$') or tonumber(v) > max then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be a whole number 0..' ..
      string.format('%d', max) .. ', got ' .. tostring(v))
  end
  return tonumber(v)
end

-- How many characters well-formed UTF-8 text holds (MySQL's utf8mb4 stores nothing else); nil
-- when it is not well-formed (a stray continuation byte, an overlong form, a surrogate, > U+10FFFF).
local function utf8_length(s)
  local n, i, len = 0, 1, #s
  while i <= len do
    local c = string.byte(s, i)
    local size, lo, hi = 1, 0x80, 0xBF
    if c >= 0xC2 and c <= 0xDF then
      size = 2
    elseif c >= 0xE0 and c <= 0xEF then
      size = 3
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    elseif c >= 0xF0 and c <= 0xF4 then
      size = 4
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    elseif c >= 0x80 then
      return nil
    end
    for j = i + 1, i + size - 1 do
      local b = string.byte(s, j)
      if b == nil or b < lo or b > hi then
        return nil
      end
      lo, hi = 0x80, 0xBF
    end
    i = i + size
    n = n + 1
  end
  return n
end

-- Text of at most max characters of well-formed UTF-8; not blank (ASCII spaces only) unless it
-- may be empty.
local function arg_utf8(args, i, name, max, may_be_empty)
  local v = args[i] or ''
  local n = utf8_length(v)
  if n == nil or n > max or (not may_be_empty and not string.find(v, '%S')) then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be ' ..
      (may_be_empty and 'at most ' or '1-') .. max .. ' characters of UTF-8 text' ..
      (may_be_empty and '' or ', not blank') .. ', got ' .. (n or 'malformed') .. ' characters')
  end
  return v
end

-- A stream entry id as Redis gives them, <ms>-<seq>, each part 0..MAX_MS.
local function arg_entry_id(args, i, name)
  local v = args[i]
  local ms, seq = string.match(v or '', '^(%d+)%-(%d+)$')
  if ms == nil or tonumber(ms) > MAX_MS or tonumber(seq) > MAX_MS then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be a stream entry id' ..
      ' <ms>-<seq>, got ' .. tostring(v))
  end
  return v
end

-- 1..max characters out of a set (a Lua character class), refused in the words of the rule.
local function arg_chars(args, i, name, max, class, rule)
  local v = args[i]
  if v == nil or #v > max or not string.match(v, '^[' .. class .. ']+$') then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be ' .. rule .. ', got ' ..
      tostring(v))
  end
  return v
end

-- A user or order id as the API allows them (1-64 of A-Z a-z 0-9 _ -): they become parts of
-- records and redemption ids, so no separator may slip in.
local function arg_id(args, i, name)
  return arg_chars(args, i, name, 64, '%w_%-', '1-64 characters of A-Z a-z 0-9 _ -')
end

-- An idempotency key as the API allows them (1-128 of A-Z a-z 0-9 . _ : -).
local function arg_key(args, i, name)
  return arg_chars(args, i, name, 128, '%w%._:%-', '1-128 characters of A-Z a-z 0-9 . _ : -')
end

-- generation|user|amount|discount|acceptedAt|status|reversedAt
local function parse_record(value)
  local gen, user, amount, discount, accepted_at, status, reversed_at =
    string.match(value, '^(%d+)|([^|]*)|(%d+)|(%d+)|(%d+)|([AR])|(%d*)$')
  if gen == nil then
    error('couponflow: corrupt redemption record: ' .. value)
  end
  return {
    gen = tonumber(gen), user = user, amount = amount, discount = discount,
    accepted_at = accepted_at, status = status, reversed_at = reversed_at
  }
end

local function format_record(r)
  return int(r.gen) .. '|' .. r.user .. '|' .. r.amount .. '|' .. r.discount .. '|' ..
    r.accepted_at .. '|' .. r.status .. '|' .. (r.reversed_at or '')
end

-- The reply shared by every function that answers with a redemption.
local function record_reply(code, r)
  return { code, int(r.gen), r.user, r.amount, r.discount, r.accepted_at, r.status, r.reversed_at or '' }
end

-- The record of order.gen: the order's current one, or a reversed one kept in the history hash.
local function find_record(orders_key, history_key, order, gen)
  local current = redis.call('HGET', orders_key, order)
  if current then
    local r = parse_record(current)
    if r.gen == gen then
      return r, true
    end
  end
  local old = redis.call('HGET', history_key, order .. '.' .. int(gen))
  if old then
    return parse_record(old), false
  end
  return nil, false
end

-- A coupon's bucket count: a power of two, 1..65536.
local function arg_buckets(args, i)
  local b = arg_count(args, i, 'buckets', 65536)
  local p = 1
  while p < b do
    p = p * 2
  end
  if b < 1 or p ~= b then
    error('couponflow: argument ' .. i .. ' (buckets) must be a power of two 1..65536, got ' ..
      args[i])
  end
  return b
end

-- The bucket count of a coupon that decides in this incarnation; else nil and the reply that says
-- why not (COUPON_NOT_FOUND, or FENCED: see "Fencing").
local function deciding_buckets(meta_key)
  local m = redis.call('HMGET', meta_key, 'buckets', 'epoch')
  if not m[1] then
    return nil, { 'COUPON_NOT_FOUND' }
  end
  if m[2] ~= current_epoch() then
    return nil, { 'FENCED' }
  end
  return m[1], nil
end

local function check_buckets(meta_buckets, args_buckets)
  if tonumber(meta_buckets) ~= args_buckets then
    return { 'STALE_BUCKETS', meta_buckets }
  end
  return nil
end

local function expire_at_least(key, at_ms)
  if redis.call('PEXPIREAT', key, int(at_ms), 'NX') == 0 then
    redis.call('PEXPIREAT', key, int(at_ms), 'GT')
  end
end

-- The keys each writing function takes, in order, by kind.
local KEYS_REDEEM = { 'm', 'u', 'o', 'i', 'h', 'x' }
local KEYS_REVERSE = { 'm', 'u', 'o', 'h', 'x' }
local KEYS_RESTORE = { 'm', 'u', 'o', 'i', 'h' }
local KEYS_META = { 'm' }
local KEYS_OUTBOX = { 'x' }

-- KEYS must be one coupon's keys of these kinds, in this order (P:{C}:m, P:{C}:u:<bucket>, ...),
-- all under one prefix P and one coupon C, checked before anything is read or written: with a
-- key missing a function would fail at its last write and keep the others (a redemption without
-- its outbox entry), and with another coupon's key it would write there.
local function check_keys(keys, kinds)
  local base
  for i, kind in ipairs(kinds) do
    local b, rest = string.match(keys[i] or '', '^([^{}:]+:{%d+}:)(.*)$')
    local bucketed = kind == 'u' or kind == 'o' or kind == 'i'
    if b == nil or (base ~= nil and b ~= base)
        or (bucketed and not string.match(rest, '^' .. kind .. ':%d+$'))
        or (not bucketed and rest ~= kind) then
      error('couponflow: key ' .. i .. ' must be the coupon\'s ' .. kind .. ' key (' ..
        (base or 'P:{C}:') .. kind .. (bucketed and ':<bucket>' or '') .. '), got ' ..
        tostring(keys[i]))
    end
    base = b
  end
  if #keys ~= #kinds then
    error('couponflow: ' .. #kinds .. ' keys expected, got ' .. #keys)
  end
end

--[[
cf_redeem: take one unit of stock for an order, once per idempotency key.
KEYS: m, u:<bucket(user)>, o:<bucket(order)>, i:<bucket(key)>, h, x
ARGV: buckets, idempotencyKey, userId, orderId, orderAmountCents, retentionMs
Reply: ACCEPTED gen user amount discount acceptedAt A "" outboxId
     | REPLAYED gen user amount discount acceptedAt A ""      (the first answer again)
     | COUPON_NOT_FOUND | FENCED | IDEMPOTENCY_KEY_REUSED | COUPON_NOT_ACTIVE | ORDER_BELOW_THRESHOLD
     | USER_LIMIT_REACHED | ORDER_ALREADY_REDEEMED | SOLD_OUT | STALE_BUCKETS buckets
]]
local function redeem(keys, args)
  check_keys(keys, KEYS_REDEEM)
  local buckets = arg_buckets(args, 1)
  local key = arg_key(args, 2, 'idempotencyKey')
  local user = arg_id(args, 3, 'userId')
  local order = arg_id(args, 4, 'orderId')
  local amount = arg_count(args, 5, 'orderAmountCents', MAX_AMOUNT)
  local retention = arg_count(args, 6, 'retentionMs', MAX_MS)

  -- 1. the coupon exists
  local m = redis.call('HMGET', keys[1], 'buckets', 'status', 'starts', 'ends', 'threshold',
    'discount', 'limit', 'stock', 'epoch')
  if not m[1] then
    return { 'COUPON_NOT_FOUND' }
  end
  if m[9] ~= current_epoch() then
    return { 'FENCED' }
  end
  local stale = check_buckets(m[1], buckets)
  if stale then
    return stale
  end

  -- 2. idempotency: the same key with the same fingerprint replays the first answer
  local prior = redis.call('HGET', keys[4], key)
  if prior then
    local prior_order, prior_gen = string.match(prior, '^(.*)%.(%d+)$')
    if prior_order ~= order then
      return { 'IDEMPOTENCY_KEY_REUSED' }
    end
    local r = find_record(keys[3], keys[5], order, tonumber(prior_gen))
    if r == nil or r.user ~= user or tonumber(r.amount) ~= amount then
      return { 'IDEMPOTENCY_KEY_REUSED' }
    end
    r.status = 'A'
    r.reversed_at = ''
    return record_reply('REPLAYED', r)
  end

  -- 3. active, inside [starts, ends), then the threshold
  local now = now_ms()
  if m[2] ~= 'ACTIVE' or now < tonumber(m[3]) or now >= tonumber(m[4]) then
    return { 'COUPON_NOT_ACTIVE' }
  end
  if amount < tonumber(m[5]) then
    return { 'ORDER_BELOW_THRESHOLD' }
  end

  -- 4. the user's limit
  local held = tonumber(redis.call('HGET', keys[2], user) or '0')
  if held >= tonumber(m[7]) then
    return { 'USER_LIMIT_REACHED' }
  end

  -- 5. the order holds no accepted redemption of this coupon
  local current = redis.call('HGET', keys[3], order)
  local gen = 1
  if current then
    local c = parse_record(current)
    if c.status == 'A' then
      return { 'ORDER_ALREADY_REDEEMED' }
    end
    gen = c.gen + 1
  end

  -- 6. stock
  if tonumber(m[8]) <= 0 then
    return { 'SOLD_OUT' }
  end

  -- 7. writes
  local discount = math.min(tonumber(m[6]), amount)
  local r = {
    gen = gen, user = user, amount = int(amount), discount = int(discount),
    accepted_at = int(now), status = 'A', reversed_at = ''
  }
  if current then
    redis.call('HSET', keys[5], order .. '.' .. int(gen - 1), current)
  end
  redis.call('HINCRBY', keys[1], 'stock', -1)
  redis.call('HINCRBY', keys[1], 'accepted', 1)
  redis.call('HINCRBY', keys[2], user, 1)
  redis.call('HSET', keys[3], order, format_record(r))
  redis.call('HSET', keys[4], key, order .. '.' .. int(gen))
  expire_at_least(keys[4], math.max(tonumber(m[4]), now) + retention)
  local redemption_id = string.match(keys[1], '{([^}]*)}') .. '.' .. order .. '.' .. int(gen)
  local outbox_id = redis.call('XADD', keys[6], '*', 't', 'A', 'r', redemption_id, 'k', key,
    'u', user, 'o', order, 'a', r.amount, 'd', r.discount, 'at', r.accepted_at)

  -- 8. the redemption
  local reply = record_reply('ACCEPTED', r)
  reply[#reply + 1] = outbox_id
  return reply
end

--[[
cf_reverse: give back the stock, the user's count and the order's slot of one redemption.
KEYS: m, u:<bucket(user)>, o:<bucket(order)>, h, x
ARGV: buckets, orderId, generation, userId, reason (may be empty)
Reply: REVERSED gen user amount discount acceptedAt R reversedAt replayed(0|1) outboxId
       (outboxId is empty when replayed)
     | REDEMPTION_NOT_FOUND | COUPON_NOT_FOUND | FENCED | STALE_BUCKETS buckets
]]
local function reverse(keys, args)
  check_keys(keys, KEYS_REVERSE)
  local buckets = arg_buckets(args, 1)
  local order = arg_id(args, 2, 'orderId')
  local gen = arg_count(args, 3, 'generation', MAX_GENERATION)
  if gen < 1 then
    error('couponflow: argument 3 (generation) must be at least 1')
  end
  local user = arg_id(args, 4, 'userId')
  local reason = arg_utf8(args, 5, 'reason', 256, true)

  local b, refusal = deciding_buckets(keys[1])
  if refusal then
    return refusal
  end
  local stale = check_buckets(b, buckets)
  if stale then
    return stale
  end
  local r, is_current = find_record(keys[3], keys[4], order, gen)
  if r == nil then
    return { 'REDEMPTION_NOT_FOUND' }
  end
  if r.user ~= user then
    error('couponflow: redemption ' .. order .. '.' .. int(gen) .. ' belongs to another user than ' .. user)
  end
  if r.status == 'R' then
    local reply = record_reply('REVERSED', r)
    reply[#reply + 1] = '1'
    reply[#reply + 1] = ''
    return reply
  end
  if not is_current then
    error('couponflow: accepted redemption found in history: ' .. order .. '.' .. int(gen))
  end
  local held = tonumber(redis.call('HGET', keys[2], user) or '0')
  if held < 1 then
    error('couponflow: user ' .. user .. ' holds no redemption in ' .. keys[2] .. ' (wrong bucket?)')
  end

  local now = now_ms()
  r.status = 'R'
  r.reversed_at = int(now)
  redis.call('HINCRBY', keys[1], 'stock', 1)
  redis.call('HINCRBY', keys[1], 'accepted', -1)
  redis.call('HINCRBY', keys[1], 'reversed', 1)
  if held == 1 then
    redis.call('HDEL', keys[2], user)
  else
    redis.call('HINCRBY', keys[2], user, -1)
  end
  redis.call('HSET', keys[3], order, format_record(r))
  local redemption_id = string.match(keys[1], '{([^}]*)}') .. '.' .. order .. '.' .. int(gen)
  local outbox_id = redis.call('XADD', keys[5], '*', 't', 'R', 'r', redemption_id, 'u', user,
    'rt', r.reversed_at, 'why', reason)
  local reply = record_reply('REVERSED', r)
  reply[#reply + 1] = '0'
  reply[#reply + 1] = outbox_id
  return reply
end

--[[
cf_get (read-only): one redemption.
KEYS: m, o:<bucket(order)>, h
ARGV: orderId, generation, [buckets] (when given and not the coupon's, the answer is STALE_BUCKETS)
Reply: FOUND gen user amount discount acceptedAt status reversedAt | REDEMPTION_NOT_FOUND
     | COUPON_NOT_FOUND | FENCED | STALE_BUCKETS buckets
]]
local function get(keys, args)
  local order = arg_id(args, 1, 'orderId')
  local gen = arg_count(args, 2, 'generation', MAX_GENERATION)
  local b, refusal = deciding_buckets(keys[1])
  if refusal then
    return refusal
  end
  if args[3] ~= nil and args[3] ~= '' then
    local stale = check_buckets(b, arg_buckets(args, 3))
    if stale then
      return stale
    end
  end
  local r = find_record(keys[2], keys[3], order, gen)
  if r == nil then
    return { 'REDEMPTION_NOT_FOUND' }
  end
  return record_reply('FOUND', r)
end

local DEFINITION = { 'version', 'name', 'total', 'limit', 'threshold', 'discount', 'starts', 'ends',
  'status', 'buckets' }

--[[
cf_load: create a coupon, or refresh its definition when the incoming version is newer.
Never resets live stock, user counts or records; a change of total is applied as a delta.
A coupon Redis does not hold is created live only when the caller read its counts from MySQL
readAgeMs ago and the node's incarnation was already settleMs old then: whatever a gateway had
accepted before an earlier loss was in MySQL by that read. Otherwise it is created fenced, and a
repair makes it live. With UPDATE_ONLY in place of the counts, a coupon Redis does not hold is
not created: the call answers COUPON_NOT_FOUND and writes nothing (the preheat job loads from a
snapshot this way, whose counts may be stale).
KEYS: m
ARGV: version, name, total, limit, threshold, discount, starts, ends, status, buckets, then
      stockIfAbsent, acceptedIfAbsent, reversedIfAbsent, [settleMs, readAgeMs]
      or UPDATE_ONLY (and nothing after it)
Reply: CREATED stock LIVE|FENCED | UPDATED stock delta | UNCHANGED stock version | REFUSED reason
     | COUPON_NOT_FOUND (UPDATE_ONLY only)
]]

-- cf_load's checks and its decision, without writing: the reply, then the definition (and, for
-- a new coupon, counter) fields to set and the stock delta to apply; no fields when the reply
-- writes nothing.
local function plan_load(keys, args)
  check_keys(keys, KEYS_META)
  local version = arg_count(args, 1, 'version', MAX_MS)
  if version < 1 then
    error('couponflow: argument 1 (version) must be at least 1')
  end
  arg_utf8(args, 2, 'name', 200, false)
  local total = arg_count(args, 3, 'total', MAX_MS)
  if arg_count(args, 4, 'limit', MAX_GENERATION) < 1 then
    error('couponflow: argument 4 (limit) must be at least 1')
  end
  arg_count(args, 5, 'threshold', MAX_MS)
  if arg_count(args, 6, 'discount', MAX_MS) < 1 then
    error('couponflow: argument 6 (discount) must be at least 1')
  end
  local starts = arg_count(args, 7, 'starts', MAX_MS)
  if arg_count(args, 8, 'ends', MAX_MS) <= starts then
    error('couponflow: argument 8 (ends) must be after argument 7 (starts)')
  end
  local status = arg_text(args, 9, 'status')
  if status ~= 'ACTIVE' and status ~= 'PAUSED' then
    error('couponflow: argument 9 (status) must be ACTIVE or PAUSED, got ' .. status)
  end
  local buckets = arg_buckets(args, 10)
  local update_only = args[11] == 'UPDATE_ONLY'
  local stock, accepted, reversed, settle, read_age
  if update_only then
    if #args > 11 then
      error('couponflow: argument 11 (stockIfAbsent) is UPDATE_ONLY, so no argument may follow' ..
        ' it, got ' .. int(#args - 11) .. ' more')
    end
  else
    stock = arg_number(args, 11, 'stockIfAbsent')
    accepted = arg_number(args, 12, 'acceptedIfAbsent')
    reversed = arg_number(args, 13, 'reversedIfAbsent')
    if args[14] ~= nil and args[14] ~= '' then
      settle = arg_count(args, 14, 'settleMs', MAX_MS)
      read_age = arg_count(args, 15, 'readAgeMs', MAX_MS)
    elseif args[15] ~= nil and args[15] ~= '' then
      error('couponflow: argument 15 (readAgeMs) must be empty without argument 14 (settleMs),' ..
        ' got ' .. args[15])
    end
  end

  local fields = {}
  for i, name in ipairs(DEFINITION) do
    fields[#fields + 1] = name
    fields[#fields + 1] = name == 'buckets' and int(buckets) or args[i]
  end

  local m = redis.call('HMGET', keys[1], 'version', 'total', 'stock', 'buckets')
  if not m[1] then
    if update_only then
      return { 'COUPON_NOT_FOUND' }
    end
    if stock < 0 or accepted < 0 or reversed < 0 or stock + accepted ~= total then
      return { 'REFUSED', 'stock ' .. int(stock) .. ' + accepted ' .. int(accepted) ..
        ' must equal total ' .. int(total) .. ' and none may be negative' }
    end
    fields[#fields + 1] = 'stock'
    fields[#fields + 1] = int(stock)
    fields[#fields + 1] = 'accepted'
    fields[#fields + 1] = int(accepted)
    fields[#fields + 1] = 'reversed'
    fields[#fields + 1] = int(reversed)
    local live = false
    if settle then
      local inc = current_incarnation()
      live = now_ms() - inc.since >= settle + read_age
      if live then
        fields[#fields + 1] = 'epoch'
        fields[#fields + 1] = inc.id
      end
    end
    return { 'CREATED', int(stock), live and 'LIVE' or 'FENCED' }, fields, 0
  end

  if version <= tonumber(m[1]) then
    return { 'UNCHANGED', m[3], m[1] }
  end
  if tonumber(m[4]) ~= buckets then
    return { 'REFUSED', 'buckets are ' .. m[4] .. ' in Redis and cannot change to ' ..
      int(buckets) }
  end
  local delta = total - tonumber(m[2])
  local new_stock = tonumber(m[3]) + delta
  if new_stock < 0 then
    return { 'REFUSED', 'total ' .. int(total) .. ' is below what is already redeemed (' ..
      int(tonumber(m[2]) - tonumber(m[3])) .. ')' }
  end
  return { 'UPDATED', int(new_stock), int(delta) }, fields, delta
end

local function load(keys, args)
  local reply, fields, delta = plan_load(keys, args)
  if fields then
    redis.call('HSET', keys[1], unpack(fields))
    if delta ~= 0 then
      redis.call('HINCRBY', keys[1], 'stock', int(delta))
    end
  end
  return reply
end

--[[
cf_load_plan (read-only): what cf_load would answer to the same call, with the same checks, in
the state Redis holds now; writes nothing (preheat --dry-run asks this).
KEYS, ARGV, Reply: as cf_load
]]
local function load_plan(keys, args)
  local reply = plan_load(keys, args)
  return reply
end

--[[
cf_pause / cf_resume: stop or restart redemptions at once.
KEYS: m
ARGV: [version] when given, applied only if newer than the definition's, and recorded
Reply: status version | COUPON_NOT_FOUND | UNCHANGED status version
]]
local function set_status(keys, args, status)
  check_keys(keys, KEYS_META)
  local version
  if args[1] ~= nil and args[1] ~= '' then
    version = arg_count(args, 1, 'version', MAX_MS)
    if version < 1 then
      error('couponflow: argument 1 (version) must be at least 1')
    end
  end
  local m = redis.call('HMGET', keys[1], 'version', 'status')
  if not m[1] then
    return { 'COUPON_NOT_FOUND' }
  end
  if version then
    if version <= tonumber(m[1]) then
      return { 'UNCHANGED', m[2], m[1] }
    end
    redis.call('HSET', keys[1], 'status', status, 'version', int(version))
    return { status, int(version) }
  end
  redis.call('HSET', keys[1], 'status', status)
  return { status, m[1] }
end

--[[
cf_coupon (read-only): the coupon's definition and live counters as field/value pairs.
KEYS: m
]]
local function coupon(keys, args)
  return redis.call('HGETALL', keys[1])
end

--[[
cf_inspect (read-only): definition, counters and the outbox in one consistent read.
KEYS: m, x
Reply: field/value pairs of m, then pending, pendingAccepts, pendingReversals, oldestPendingId
       (empty when none), now (Redis clock, ms) and fenced (1 when the coupon's epoch is not this
       node's incarnation: it decides nothing until repaired, see "Fencing"; else 0).
       Counting walks the outbox: O(pending).
]]
local function inspect(keys, args)
  local reply = redis.call('HGETALL', keys[1])
  if #reply == 0 then
    return reply
  end
  local fenced = redis.call('HGET', keys[1], 'epoch') ~= current_epoch()
  local accepts, reversals, oldest, pending = 0, 0, '', 0
  local cursor = '-'
  while true do
    local batch = redis.call('XRANGE', keys[2], cursor, '+', 'COUNT', 1000)
    for _, entry in ipairs(batch) do
      if oldest == '' then
        oldest = entry[1]
      end
      pending = pending + 1
      local fields = entry[2]
      if fields[1] == 't' and fields[2] == 'A' then
        accepts = accepts + 1
      elseif fields[1] == 't' and fields[2] == 'R' then
        reversals = reversals + 1
      end
    end
    if #batch < 1000 then
      break
    end
    cursor = '(' .. batch[#batch][1]
  end
  for _, v in ipairs({ 'pending', int(pending), 'pendingAccepts', int(accepts),
    'pendingReversals', int(reversals), 'oldestPendingId', oldest, 'now', int(now_ms()),
    'fenced', fenced and '1' or '0' }) do
    reply[#reply + 1] = v
  end
  return reply
end

--[[
cf_outbox_read (read-only): outbox entries at least minAgeMs old, oldest first.
KEYS: x
ARGV: minAgeMs, count, [afterId] (exclusive; for paging)
Reply: the entries, as XRANGE gives them
]]
local function outbox_read(keys, args)
  local min_age = arg_count(args, 1, 'minAgeMs', MAX_MS)
  local count = arg_count(args, 2, 'count', 100000)
  if count < 1 then
    error('couponflow: argument 2 (count) must be at least 1')
  end
  local after = args[3]
  if after ~= nil and after ~= '' then
    arg_entry_id(args, 3, 'afterId')
  end
  local start = (after == nil or after == '') and '-' or ('(' .. after)
  local before = now_ms() - min_age
  if before < 0 then
    return {}
  end
  return redis.call('XRANGE', keys[1], start, int(before), 'COUNT', int(count))
end

--[[
cf_outbox_ack: delete entries MySQL now holds; the stream goes away when it empties, so a scan
for outbox keys finds only coupons with pending work.
KEYS: x
ARGV: entry ids
Reply: how many were deleted
]]
local function outbox_ack(keys, args)
  check_keys(keys, KEYS_OUTBOX)
  for i = 1, #args do
    arg_entry_id(args, i, 'entryId')
  end
  if #args == 0 then
    return 0
  end
  local deleted = redis.call('XDEL', keys[1], unpack(args))
  if redis.call('XLEN', keys[1]) == 0 then
    redis.call('DEL', keys[1])
  end
  return deleted
end

--[[
cf_outbox_backlog (read-only): what of the coupon's outbox still waits for MySQL, in one step.
KEYS: x
Reply: pending (entries), oldestPendingId (empty when none), now (the Redis clock, ms, of the
       node that stamped the ids: age the oldest entry against it)
]]
local function outbox_backlog(keys, args)
  check_keys(keys, KEYS_OUTBOX)
  local oldest = redis.call('XRANGE', keys[1], '-', '+', 'COUNT', 1)
  return { int(redis.call('XLEN', keys[1])), oldest[1] and oldest[1][1] or '', int(now_ms()) }
end

--[[
Repair: how a fenced coupon becomes live again. The caller (the gateway on demand, the preheat job,
ops) reads the coupon whole from Redis and from MySQL, computes the state both imply, writes the
difference with cf_repair_write, and sets the counters and the epoch with cf_repair_end. Every call
carries the epoch cf_repair_begin answered; once the node's incarnation changes (another restart,
another failover), the calls refuse with EPOCH_CHANGED and the repair starts over. A live coupon is
never written by a repair: cf_repair_write and cf_repair_end answer LIVE.
]]

--[[
cf_repair_begin: may this coupon be repaired (or created) now, and under which epoch?
KEYS: m
ARGV: settleMs (how old the node's incarnation must be)
Reply: LIVE epoch | SETTLING remainingMs | FENCED epoch ABSENT|STALE
       (ABSENT: no meta; cf_load creates it)
]]
local function repair_begin(keys, args)
  check_keys(keys, KEYS_META)
  local settle = arg_count(args, 1, 'settleMs', MAX_MS)
  local inc = current_incarnation()
  local epoch = redis.call('HGET', keys[1], 'epoch')
  local exists = redis.call('EXISTS', keys[1]) == 1
  if exists and epoch == inc.id then
    return { 'LIVE', inc.id }
  end
  local waited = now_ms() - inc.since
  if waited < settle then
    return { 'SETTLING', int(settle - waited) }
  end
  return { 'FENCED', inc.id, exists and 'STALE' or 'ABSENT' }
end

-- The kind of one of a coupon's record hashes ("o", "u", "i" or "h") from its key, or nil.
local function record_kind(key)
  local rest = string.match(key or '', '^[^{}:]+:{%d+}:(.*)$')
  if rest == 'h' then
    return 'h'
  end
  return rest and string.match(rest, '^([oui]):%d+$')
end

-- KEYS of a repair write: the coupon's meta, then one of its record hashes; returns the kind.
local function check_repair_keys(keys)
  check_keys({ keys[1] }, KEYS_META)
  local kind = record_kind(keys[2])
  if kind == nil then
    error('couponflow: key 2 must be one of the coupon\'s o:<bucket>, u:<bucket>, i:<bucket> or h' ..
      ' keys, got ' .. tostring(keys[2]))
  end
  check_keys(keys, { 'm', kind })
  return kind
end

-- A repair's epoch: a replication id as cf_repair_begin answers it, 40 hex digits.
local function arg_epoch(args, i)
  local v = args[i]
  if v == nil or #v ~= 40 or not string.match(v, '^[0-9a-f]+$') then
    error('couponflow: argument ' .. i .. ' (epoch) must be 40 hex digits as cf_repair_begin' ..
      ' answers it, got ' .. tostring(v))
  end
  return v
end

-- Digits as int() writes them (no sign, no leading zero) of a number min..max.
local function canonical(v, min, max)
  return v ~= nil and (v == '0' or string.match(v, '^[1-9]%d*$') ~= nil) and
    tonumber(v) >= min and tonumber(v) <= max
end

-- "orderId.generation": a history field, or the redemption an idempotency key names. Returns the
-- generation.
local function arg_ref(args, i, name)
  local v = args[i]
  local order, gen = string.match(v or '', '^([%w_%-]+)%.(%d+)$')
  if order == nil or #order > 64 or not canonical(gen, 1, MAX_GENERATION) then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be orderId.generation' ..
      ' (generation 1..' .. int(MAX_GENERATION) .. '), got ' .. tostring(v))
  end
  return tonumber(gen)
end

-- A redemption record as cf_redeem and cf_reverse write them, with every part in the range those
-- functions take. Returns its generation.
local function arg_record(args, i, name)
  local v = args[i]
  local gen, user, amount, discount, accepted_at, status, reversed_at =
    string.match(v or '', '^(%d+)|([%w_%-]+)|(%d+)|(%d+)|(%d+)|([AR])|(%d*)$')
  if gen == nil or not canonical(gen, 1, MAX_GENERATION) or #user > 64
      or not canonical(amount, 0, MAX_AMOUNT) or not canonical(discount, 0, MAX_AMOUNT)
      or not canonical(accepted_at, 0, MAX_MS)
      or (status == 'A' and reversed_at ~= '')
      or (status == 'R' and not canonical(reversed_at, 0, MAX_MS)) then
    error('couponflow: argument ' .. i .. ' (' .. name .. ') must be a record' ..
      ' gen|userId|amount|discount|acceptedAtMs|A| or ...|R|reversedAtMs, got ' .. tostring(v))
  end
  return tonumber(gen)
end

-- The field of a repair write to a hash of this kind, by name: o orderId, u userId,
-- i idempotencyKey, h historyField (orderId.generation).
local function arg_repair_field(kind, args, i)
  if kind == 'o' then
    arg_id(args, i, 'orderId')
  elseif kind == 'u' then
    arg_id(args, i, 'userId')
  elseif kind == 'i' then
    arg_key(args, i, 'idempotencyKey')
  else
    return arg_ref(args, i, 'historyField')
  end
end

-- A field and its value: o, h a record (in h, of the generation its field names); u a count of
-- 1..MAX_GENERATION; i the redemption the key names.
local function check_repair_pair(kind, args, i)
  local field_gen = arg_repair_field(kind, args, i)
  if kind == 'o' or kind == 'h' then
    local gen = arg_record(args, i + 1, 'record')
    if kind == 'h' and gen ~= field_gen then
      error('couponflow: argument ' .. (i + 1) .. ' (record) is of generation ' .. int(gen) ..
        ', but argument ' .. i .. ' (historyField) names generation ' .. int(field_gen))
    end
  elseif kind == 'u' then
    if not canonical(args[i + 1], 1, MAX_GENERATION) then
      error('couponflow: argument ' .. (i + 1) .. ' (userCount) must be a whole number 1..' ..
        int(MAX_GENERATION) .. ', got ' .. tostring(args[i + 1]))
    end
  else
    arg_ref(args, i + 1, 'keyTarget')
  end
end

-- The coupon's end (ms) when a repair may write now; else nil and the reply that refuses it.
local function repair_refusal(meta_key, epoch)
  local m = redis.call('HMGET', meta_key, 'ends', 'epoch')
  if not m[1] then
    return nil, { 'COUPON_NOT_FOUND' }
  end
  local current = current_epoch()
  if epoch ~= current then
    return nil, { 'EPOCH_CHANGED', current }
  end
  if m[2] == current then
    return nil, { 'LIVE' }
  end
  return tonumber(m[1]), nil
end

--[[
cf_repair_write: set and delete fields of one of a fenced coupon's record hashes.
KEYS: m, one of o:<b> | u:<b> | i:<b> | h
ARGV: epoch, retentionMs (an i bucket then lives at least until max(ends, now) + retentionMs),
      setCount, field value (setCount pairs), then fields to delete; only what cf_redeem and
      cf_reverse write, with numbers in their ranges and written as int() writes them:
      o  orderId -> a record "gen|user|amount|discount|acceptedAt|A|" or "...|R|reversedAt"
      h  "orderId.generation" -> a record of that generation
      u  userId -> a count 1..MAX_GENERATION
      i  idempotencyKey -> "orderId.generation"
Reply: WRITTEN | LIVE | EPOCH_CHANGED epoch | COUPON_NOT_FOUND
]]
local function repair_write(keys, args)
  local kind = check_repair_keys(keys)
  local epoch = arg_epoch(args, 1)
  local retention = arg_count(args, 2, 'retentionMs', MAX_MS)
  local sets = arg_count(args, 3, 'setCount', 2000)
  if #args > 4003 then
    error('couponflow: at most 4000 fields per call, got ' .. int(#args - 3))
  end
  if #args < 3 + 2 * sets then
    error('couponflow: argument 3 (setCount) is ' .. int(sets) .. ' but only ' .. int(#args - 3) ..
      ' arguments follow')
  end
  for i = 4, 3 + 2 * sets, 2 do
    check_repair_pair(kind, args, i)
  end
  for i = 4 + 2 * sets, #args do
    arg_repair_field(kind, args, i)
  end
  local ends, refusal = repair_refusal(keys[1], epoch)
  if refusal then
    return refusal
  end
  if sets > 0 then
    redis.call('HSET', keys[2], unpack(args, 4, 3 + 2 * sets))
  end
  if #args > 3 + 2 * sets then
    redis.call('HDEL', keys[2], unpack(args, 4 + 2 * sets))
  end
  if kind == 'i' and redis.call('EXISTS', keys[2]) == 1 then
    expire_at_least(keys[2], math.max(ends, now_ms()) + retention)
  end
  return { 'WRITTEN' }
end

--[[
cf_repair_end: set a fenced coupon's counters and make it live in this incarnation.
KEYS: m
ARGV: epoch, stock, accepted, reversed
Reply: LIVE stock accepted reversed | ALREADY_LIVE | EPOCH_CHANGED epoch | COUPON_NOT_FOUND
]]
local function repair_end(keys, args)
  check_keys(keys, KEYS_META)
  local epoch = arg_epoch(args, 1)
  local stock = arg_count(args, 2, 'stock', MAX_MS)
  local accepted = arg_count(args, 3, 'accepted', MAX_MS)
  local reversed = arg_count(args, 4, 'reversed', MAX_MS)
  local _, refusal = repair_refusal(keys[1], epoch)
  if refusal then
    if refusal[1] == 'LIVE' then
      return { 'ALREADY_LIVE' }
    end
    return refusal
  end
  redis.call('HSET', keys[1], 'stock', int(stock), 'accepted', int(accepted),
    'reversed', int(reversed), 'epoch', epoch)
  return { 'LIVE', int(stock), int(accepted), int(reversed) }
end

--[[
cf_fence: stop a live coupon from deciding until it is repaired (ops reconcile --apply fences a
drifting coupon, then repairs it exactly).
KEYS: m
Reply: FENCED | COUPON_NOT_FOUND
]]
local function fence(keys, args)
  check_keys(keys, KEYS_META)
  if redis.call('EXISTS', keys[1]) == 0 then
    return { 'COUPON_NOT_FOUND' }
  end
  redis.call('HDEL', keys[1], 'epoch')
  return { 'FENCED' }
end

-- KEYS of cf_read and cf_members: one or more of one coupon's record hashes (o:<b>, u:<b>, i:<b>
-- and h), all under one prefix and hash tag.
local function check_record_hashes(keys)
  if #keys == 0 then
    error('couponflow: at least 1 key expected, got 0')
  end
  local base
  for i, key in ipairs(keys) do
    local b = string.match(key, '^[^{}:]+:{%d+}:')
    if record_kind(key) == nil or (base ~= nil and b ~= base) then
      error('couponflow: key ' .. i .. ' must be one of the o:<bucket>, u:<bucket>, i:<bucket> or' ..
        ' h keys of ' .. (base or 'a coupon') .. ', got ' .. key)
    end
    base = b
  end
end

-- One read-only command (HGETALL, HKEYS) on each of the keys, checked first; the replies in order.
local function on_record_hashes(keys, command)
  check_record_hashes(keys)
  local reply = {}
  for i, key in ipairs(keys) do
    reply[i] = redis.call(command, key)
  end
  return reply
end

--[[
cf_read (read-only): some of one coupon's record hashes whole, for a repair or a reconcile.
KEYS: any of the coupon's o:<b>, u:<b>, i:<b> and h keys (the first sets the coupon)
Reply: per key, its field/value pairs (empty when the key does not exist)
]]
local function read_hashes(keys, args)
  return on_record_hashes(keys, 'HGETALL')
end

--[[
cf_members (read-only): the field names of some of one coupon's record hashes: the orders, users
and idempotency keys it holds (a gateway's sold-out ledger is made of them).
KEYS: any of the coupon's o:<b>, u:<b>, i:<b> and h keys (the first sets the coupon)
Reply: per key, its field names (empty when the key does not exist)
]]
local function members(keys, args)
  return on_record_hashes(keys, 'HKEYS')
end

--[[
cf_time (read-only): the Redis clock, in ms, of the node that holds the coupon: the clock of its
outbox ids and of its window checks, for callers that age an entry (never their own clock).
KEYS: any key of the coupon (it routes the call to the coupon's node)
]]
local function time()
  return now_ms()
end

local function version()
  return LIBRARY_VERSION
end

redis.register_function('cf_redeem', redeem)
redis.register_function('cf_reverse', reverse)
redis.register_function('cf_load', load)
redis.register_function('cf_pause', function(keys, args) return set_status(keys, args, 'PAUSED') end)
redis.register_function('cf_resume', function(keys, args) return set_status(keys, args, 'ACTIVE') end)
redis.register_function('cf_outbox_ack', outbox_ack)
redis.register_function('cf_repair_begin', repair_begin)
redis.register_function('cf_repair_write', repair_write)
redis.register_function('cf_repair_end', repair_end)
redis.register_function('cf_fence', fence)
redis.register_function{ function_name = 'cf_read', callback = read_hashes, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_members', callback = members, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_load_plan', callback = load_plan, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_get', callback = get, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_coupon', callback = coupon, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_inspect', callback = inspect, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_outbox_read', callback = outbox_read, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_outbox_backlog', callback = outbox_backlog, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_time', callback = time, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cf_version', callback = version, flags = { 'no-writes' } }
