package io.couponflow.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.bench.BenchMain;
import io.couponflow.testkit.TestSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ClusterBenchIT {
  @Test
  void clusterBench_shortRun_measuresBothTargetsAndPrintsTheRatio() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new BenchMain());
    cli.setOut(new PrintWriter(out));

    int exit =
        cli.execute(
            "cluster",
            "--seconds=1",
            "--warmup-seconds=0",
            "--coupons=64",
            "--in-flight=32",
            "--rounds=1",
            "--redis-server=" + TestSettings.redisServerBinary(),
            "--redis-cli=" + TestSettings.redisCliBinary());

    assertThat(exit).as(out.toString()).isZero();
    String text = out.toString();
    Matcher single =
        Pattern.compile(
                "(?m)^single +1 +(\\d+) +[0-9.]+ +[0-9.]+ +[0-9.]+ +(\\d+) +0 +[0-9.]+ +100$")
            .matcher(text);
    Matcher cluster =
        Pattern.compile(
                "(?m)^cluster +1 +(\\d+) +[0-9.]+ +[0-9.]+ +[0-9.]+ +(\\d+) +0 +[0-9.]+"
                    + " +(\\d+)/(\\d+)/(\\d+)$")
            .matcher(text);
    assertThat(single.find()).as(text).isTrue();
    assertThat(cluster.find()).as(text).isTrue();
    assertThat(Long.parseLong(single.group(1))).isPositive();
    assertThat(Long.parseLong(single.group(2))).isPositive();
    assertThat(Long.parseLong(cluster.group(1))).isPositive();
    assertThat(Long.parseLong(cluster.group(2))).isPositive();
    for (int master = 3; master <= 5; master++) {
      assertThat(Integer.parseInt(cluster.group(master)))
          .as("share of master %d", master - 2)
          .isPositive();
    }
    assertThat(text).containsPattern("ratio \\d+\\.\\d\\dx");
  }

  @Test
  void clusterBench_twoMasters_isRefusedWithAReason() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new BenchMain());
    cli.setErr(new PrintWriter(err));

    assertThat(cli.execute("cluster", "--masters=2")).isEqualTo(2);
    assertThat(err.toString()).contains("--masters: 2 (expected: >= 3)");
  }
}
