package io.couponflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {
  @Test
  void selectors_ofAnAggregatedRatio_areItsTwoSeries() {
    assertThat(
            PromQl.selectors(
                "sum by (instance) (rate(x_total{status=~\"5..\", route=\"a\"}[5m]))"
                    + " / sum without (le) (rate(x_total[5m])) > 0.05"))
        .containsExactly("x_total{status=~\"5..\", route=\"a\"}", "x_total");
  }

  @Test
  void selectors_skipOperatorsLabelListsAndDurations() {
    assertThat(
            PromQl.selectors(
                "couponflow:ratio < 0.05 and on (coupon) min by (coupon)"
                    + " (delta(stock{coupon!=\"}\"}[5m] offset 1m)) < 0 or vector(1)"))
        .containsExactly("couponflow:ratio", "stock{coupon!=\"}\"}");
  }

  @Test
  void selectors_ofHistogramQuantile_isTheBucketSeries() {
    assertThat(
            PromQl.selectors(
                "histogram_quantile(0.99, sum by (le, call) (rate(calls_bucket{instance=~\".*\"}[30s])))"))
        .containsExactly("calls_bucket{instance=~\".*\"}");
  }
}
