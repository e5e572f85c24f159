-- couponflow schema, version 1. Runs on MySQL 8 and MariaDB 10.11.
-- Coupons are defined here; live stock is in Redis. Redemptions arrive from the Redis outbox in
-- batches, keyed on (coupon_id, idempotency_key); a reversal updates the same row.

CREATE TABLE coupon (
  coupon_id        BIGINT       NOT NULL,
  name             VARCHAR(200) NOT NULL,
  total_stock      BIGINT       NOT NULL,
  per_user_limit   INT          NOT NULL,
  threshold_cents  BIGINT       NOT NULL,
  discount_cents   BIGINT       NOT NULL,
  starts_at        DATETIME(3)  NOT NULL,
  ends_at          DATETIME(3)  NOT NULL,
  status           VARCHAR(8)   NOT NULL,
  hot              BOOLEAN      NOT NULL DEFAULT FALSE,
  buckets          INT          NOT NULL,
  version          BIGINT       NOT NULL DEFAULT 1,
  created_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (coupon_id),
  KEY ix_coupon_window (status, ends_at, starts_at),
  KEY ix_coupon_hot (hot, coupon_id),
  CONSTRAINT ck_coupon_stock CHECK (total_stock >= 0),
  CONSTRAINT ck_coupon_limit CHECK (per_user_limit >= 1),
  CONSTRAINT ck_coupon_threshold CHECK (threshold_cents >= 0),
  CONSTRAINT ck_coupon_discount CHECK (discount_cents > 0),
  CONSTRAINT ck_coupon_window CHECK (ends_at > starts_at),
  CONSTRAINT ck_coupon_status CHECK (status IN ('ACTIVE', 'PAUSED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE redemption (
  id                  BIGINT       NOT NULL AUTO_INCREMENT,
  redemption_id       VARCHAR(100) NOT NULL,
  coupon_id           BIGINT       NOT NULL,
  idempotency_key     VARCHAR(128) NOT NULL,
  user_id             VARCHAR(64)  NOT NULL,
  order_id            VARCHAR(64)  NOT NULL,
  order_amount_cents  BIGINT       NOT NULL,
  discount_cents      BIGINT       NOT NULL,
  status              VARCHAR(8)   NOT NULL,
  accepted_at         DATETIME(3)  NOT NULL,
  reversed_at         DATETIME(3)  NULL,
  reversal_reason     VARCHAR(256) NULL,
  outbox_id           VARCHAR(32)  NOT NULL,
  persisted_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_redemption_key (coupon_id, idempotency_key),
  UNIQUE KEY uk_redemption_id (redemption_id),
  KEY ix_redemption_user (coupon_id, user_id),
  KEY ix_redemption_order (coupon_id, order_id),
  KEY ix_redemption_status (coupon_id, status),
  CONSTRAINT ck_redemption_status CHECK (status IN ('ACCEPTED', 'REVERSED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Outbox entries the sink could not store, with the reason. An entry leaves the Redis outbox only
-- once it is stored here; nothing is dropped.
CREATE TABLE dead_letter (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  coupon_id   BIGINT        NOT NULL,
  outbox_id   VARCHAR(32)   NOT NULL,
  entry       TEXT          NOT NULL,
  error       VARCHAR(2000) NOT NULL,
  created_at  DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_dead_letter_entry (coupon_id, outbox_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
