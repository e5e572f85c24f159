package io.couponflow.preheat;

import java.util.List;

/**
 * Where a run reads the coupons it loads: one page at a time, in ascending coupon id order, so a
 * run can switch sources after the last id it read.
 *
 * <p>Thread-safety: not thread-safe; a run reads its source from one thread at a time.
 */
interface CouponSource extends AutoCloseable {
  /**
   * The next page, in ascending id order; empty when there is no more.
   *
   * @throws SourceUnavailableException when the source cannot be read now
   */
  Page next();

  /** How many coupons this source will return in all, or -1 when it cannot tell cheaply. */
  long expectedTotal();

  /** {@code mysql} or {@code snapshot}. */
  String name();

  @Override
  void close();

  /**
   * One page of candidates, the ids asked for by name that do not exist in this source (a named run
   * only), and the coupons whose definition no reader can take (they are not loaded).
   */
  record Page(List<Candidate> candidates, List<Long> missing, List<Invalid> invalid) {
    static final Page END = new Page(List.of(), List.of());

    public Page {
      candidates = List.copyOf(candidates);
      missing = List.copyOf(missing);
      invalid = List.copyOf(invalid);
    }

    Page(List<Candidate> candidates, List<Long> missing) {
      this(candidates, missing, List.of());
    }

    boolean isEnd() {
      return candidates.isEmpty() && missing.isEmpty() && invalid.isEmpty();
    }

    /** The highest coupon id this page covered, or 0. */
    long lastId() {
      long last = 0;
      for (Candidate c : candidates) {
        last = Math.max(last, c.couponId());
      }
      for (long id : missing) {
        last = Math.max(last, id);
      }
      for (Invalid i : invalid) {
        last = Math.max(last, i.couponId());
      }
      return last;
    }
  }

  /** A coupon whose stored definition is not one (see {@code CouponRow.toCoupon}), and why. */
  record Invalid(long couponId, String reason) {}

  /** The source cannot be read now (MySQL unreachable, snapshot missing or unreadable). */
  final class SourceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SourceUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
