package io.couponflow.sql;

import java.time.Instant;

/** An outbox entry the sink could not store, kept with its error. */
public record DeadLetterRow(
    long couponId, String outboxId, String entry, String error, Instant createdAt) {}
