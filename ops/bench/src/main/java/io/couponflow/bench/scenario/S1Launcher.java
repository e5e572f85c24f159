package io.couponflow.bench.scenario;

import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.Progress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * S1-launcher: S1 against a gateway started the way a user starts it, {@code
 * gateway/bin/couponflow-gateway} with its defaults (COUPON_JAVA_OPTS never set), warmed up and
 * measured as honestly as S1 (on a coupon of its own). The report weighs it against S1 with the
 * bench's tuned options.
 */
public final class S1Launcher {
  /**
   * @param options the JVM options the launcher chose, as it printed them
   */
  public record Result(S1AcceptPath.Result s1, String options) implements Measurement {
    @Override
    public String scenario() {
      return "S1-launcher";
    }
  }

  private final BenchEnvironment env;
  private final Path launcher;
  private final Map<String, String> gatewayEnv;
  private final LoadShape shape;
  private final Path log;
  private final Progress progress;

  /**
   * @param gatewayEnv the gateway's COUPON_* variables; a COUPON_JAVA_OPTS among them is dropped
   */
  public S1Launcher(
      BenchEnvironment env,
      Path launcher,
      Map<String, String> gatewayEnv,
      LoadShape shape,
      Path log,
      Progress progress) {
    this.env = env;
    this.launcher = launcher;
    Map<String, String> own = new HashMap<>(gatewayEnv);
    own.remove("COUPON_JAVA_OPTS");
    this.gatewayEnv = Map.copyOf(own);
    this.shape = shape;
    this.log = log;
    this.progress = progress;
  }

  public Result run(long couponId) {
    progress.say("S1-launcher: starting the gateway with %s and its defaults", launcher);
    try (GatewayJvm gateway =
            GatewayJvm.start(GatewayJvm.Launch.launcher(launcher), gatewayEnv, log);
        ClosedLoop load = new ClosedLoop(shape, gateway.apiPort())) {
      String options = gateway.launcherOptions().orElse("(the launcher printed none)");
      progress.say("S1-launcher: the launcher chose %s", options);
      S1AcceptPath.Result s1 =
          new S1AcceptPath("S1-launcher", env, gateway, load, couponId, progress)
              .honest(Optional.empty(), false);
      return new Result(s1, options);
    }
  }
}
