package io.couponflow.model;

/** The life of a redemption: accepted once, reversed at most once. */
public enum RedemptionStatus {
  ACCEPTED,
  REVERSED
}
