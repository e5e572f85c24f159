package io.couponflow.bench;

import io.couponflow.bench.cluster.ClusterBench;
import io.couponflow.bench.preheat.PreheatBench;
import io.couponflow.bench.sink.SinkBench;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code couponflow-bench}: the benchmark behind {@code ops/dev bench}. Each scenario is a
 * subcommand; a scenario measures couponflow and, in the same run, the reference it is compared
 * with.
 */
@Command(
    name = "couponflow-bench",
    mixinStandardHelpOptions = true,
    version = "couponflow bench 0.1.0",
    description = "Measure couponflow on this machine against references taken in the same run.",
    subcommands = {
      CommandLine.HelpCommand.class,
      SinkBench.class,
      PreheatBench.class,
      ClusterBench.class
    })
public final class BenchMain implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }
}
