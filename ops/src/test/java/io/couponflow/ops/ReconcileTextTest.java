package io.couponflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.ops.reconcile.CouponCheck;
import io.couponflow.ops.reconcile.CouponState;
import io.couponflow.ops.reconcile.Diagnosis;
import io.couponflow.ops.reconcile.Done;
import io.couponflow.ops.reconcile.Finding;
import io.couponflow.sql.RedemptionCounts;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lines people read for findings and repairs that the ITs do not print. */
class ReconcileTextTest {

  @Test
  void unsettled_saysWhyAndThatApplyWillNotAct() {
    assertThat(ReconcileText.line(7, new Finding.Unsettled(10)))
        .isEqualTo(
            "reads did not settle: 10 reads in a row disagreed (live traffic, or the sink moving"
                + " rows); the drifts above are the last read's, and --apply acts only on a read"
                + " that settled");
  }

  @Test
  void refused_saysNothingWasChanged() {
    assertThat(ReconcileText.lines(check(), new Done.Refused(10)))
        .containsExactly(
            "refused: the reads did not settle, so nothing was changed; run reconcile again");
  }

  @Test
  void ids_showsFiveAndHowManyMore() {
    assertThat(ReconcileText.ids(List.of("a", "b", "c", "d", "e", "f", "g")))
        .isEqualTo("a, b, c, d, e and 2 more");
  }

  private static CouponCheck check() {
    return new CouponCheck(
        7,
        new CouponState(
            7, Optional.empty(), new RedemptionCounts(7, 0, 0), Optional.empty(), Optional.empty()),
        new Diagnosis(List.of(new Finding.Unsettled(10)), null, List.of()));
  }
}
