-- couponflow schema, version 2. Runs on MySQL 8 and MariaDB 10.11.
-- A coupon row must be one every reader can take: Coupon (io.couponflow.model) refuses anything
-- else, and so does the Functions library in Redis, whose Lua numbers hold integers exactly only
-- up to 2^53 - 1 = 9007199254740991 (Coupon.MAX_NUMBER; MappersIT checks that these bounds are
-- the model's). A database that already holds such a row (a restock past the bound, before this
-- version) fails this migration naming the constraint: correct that row, then migrate again.

ALTER TABLE coupon
  ADD CONSTRAINT ck_coupon_stock_max CHECK (total_stock <= 9007199254740991),
  ADD CONSTRAINT ck_coupon_limit_max CHECK (per_user_limit <= 999999999),
  ADD CONSTRAINT ck_coupon_threshold_max CHECK (threshold_cents <= 9007199254740991),
  ADD CONSTRAINT ck_coupon_discount_max CHECK (discount_cents <= 9007199254740991),
  ADD CONSTRAINT ck_coupon_starts CHECK (starts_at >= '1970-01-01 00:00:00'),
  ADD CONSTRAINT ck_coupon_buckets CHECK (buckets BETWEEN 1 AND 65536 AND (buckets & (buckets - 1)) = 0),
  ADD CONSTRAINT ck_coupon_version CHECK (version >= 1);
