package io.couponflow.preheat;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedisSettings;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.JdbcSettings;
import io.couponflow.sql.Migrations;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.ibatis.session.SqlSession;

/**
 * One preheat run: read the selected coupons from MySQL page by page (keyset pages, never one huge
 * result), load each page into Redis with pipelined {@code cf_load} calls, and publish what was
 * loaded so every gateway warms its local tier.
 */
final class Preheat {
  static final int PAGE = 1000;

  private final JdbcSettings jdbc;
  private final RedisSettings redisSettings;
  private final Duration retention;
  private final PrintWriter out;

  Preheat(JdbcSettings jdbc, RedisSettings redis, Duration retention, PrintWriter out) {
    this.jdbc = jdbc;
    this.redisSettings = redis;
    this.retention = retention;
    this.out = out;
  }

  /** Which coupons a run loads. */
  record Selection(List<Long> named, boolean allActive, Duration window) {
    static Selection ofIds(List<Long> ids) {
      return new Selection(List.copyOf(ids), false, Duration.ZERO);
    }

    static Selection everyActive() {
      return new Selection(List.of(), true, Duration.ZERO);
    }

    static Selection startingWithin(Duration window) {
      return new Selection(List.of(), false, window);
    }
  }

  /** What a run did. */
  record Summary(
      int loaded,
      int alreadyLive,
      int updated,
      int restocked,
      int failed,
      String source,
      Duration duration,
      boolean partial) {
    String line() {
      return String.format(
          "preheat: loaded=%d already_live=%d updated=%d restocked=%d failed=%d source=%s duration=%.1fs%s",
          loaded,
          alreadyLive,
          updated,
          restocked,
          failed,
          source,
          duration.toMillis() / 1000.0,
          partial ? " (partial)" : "");
    }

    int exitCode() {
      if (partial || failed > 0) {
        return loaded + alreadyLive + updated > 0 ? 2 : 1;
      }
      return 0;
    }
  }

  Summary run(Selection selection, boolean dryRun) {
    long start = System.nanoTime();
    int loaded = 0;
    int live = 0;
    int updated = 0;
    int restocked = 0;
    int failed = 0;
    try (Database database = Database.open(jdbc, "couponflow-preheat");
        RedisStore redis = RedisStore.connect(redisSettings)) {
      Migrations.requireCurrent(database.dataSource());
      CouponLibrary.ensureLoaded(redis).join();
      CouponFunctions functions = new CouponFunctions(redis, retention);
      Instant now = Instant.now();
      long after = 0;
      List<Long> namedLeft = new ArrayList<>(selection.named());
      while (true) {
        List<Coupon> page;
        Map<Long, RedemptionCounts> counts = new HashMap<>();
        try (SqlSession session = database.sessions().openSession(true)) {
          CouponMapper coupons = session.getMapper(CouponMapper.class);
          if (!selection.named().isEmpty()) {
            if (namedLeft.isEmpty()) {
              break;
            }
            List<Long> ids = namedLeft.subList(0, Math.min(PAGE, namedLeft.size()));
            page = coupons.findByIds(ids);
            if (page.size() < ids.size()) {
              failed += ids.size() - page.size();
              out.println("preheat: " + (ids.size() - page.size()) + " named coupons do not exist");
            }
            ids.clear();
          } else {
            Instant horizon =
                selection.allActive() ? Instant.MAX.minusSeconds(1) : now.plus(selection.window());
            page = coupons.pageForPreheat(after, PAGE, now, clamp(horizon), !selection.allActive());
            if (page.isEmpty()) {
              break;
            }
            after = page.get(page.size() - 1).couponId();
          }
          if (!page.isEmpty()) {
            for (RedemptionCounts c :
                session
                    .getMapper(RedemptionMapper.class)
                    .countsForCoupons(page.stream().map(Coupon::couponId).toList())) {
              counts.put(c.couponId(), c);
            }
          }
        }
        if (dryRun) {
          page.forEach(
              c -> out.println("would load coupon " + c.couponId() + " (" + c.name() + ")"));
          loaded += page.size();
          continue;
        }
        List<CompletableFuture<LoadOutcome>> calls = new ArrayList<>(page.size());
        for (Coupon c : page) {
          RedemptionCounts n =
              counts.getOrDefault(c.couponId(), new RedemptionCounts(c.couponId(), 0, 0));
          calls.add(functions.load(c, n.accepted(), n.reversed()));
        }
        List<Long> done = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
          LoadOutcome outcome = calls.get(i).join();
          if (outcome instanceof LoadOutcome.Created) {
            loaded++;
          } else if (outcome instanceof LoadOutcome.Updated u) {
            updated++;
            if (u.restockDelta() != 0) {
              restocked++;
            }
          } else if (outcome instanceof LoadOutcome.Unchanged) {
            live++;
          } else {
            failed++;
            out.println(
                "preheat: coupon "
                    + page.get(i).couponId()
                    + " refused: "
                    + ((LoadOutcome.Refused) outcome).reason());
            continue;
          }
          done.add(page.get(i).couponId());
        }
        if (!done.isEmpty()) {
          redis
              .commands()
              .sadd(
                  CouponEvents.hotSetKey(redis.prefix()),
                  done.stream().map(String::valueOf).toArray(String[]::new))
              .toCompletableFuture()
              .join();
          redis.publish(CouponEvents.channel(redis.prefix()), CouponEvents.loaded(done)).join();
        }
        if (!selection.named().isEmpty() && namedLeft.isEmpty()) {
          break;
        }
      }
    }
    return new Summary(
        loaded,
        live,
        updated,
        restocked,
        failed,
        "mysql",
        Duration.ofNanos(System.nanoTime() - start),
        false);
  }

  private static Instant clamp(Instant instant) {
    Instant max = Instant.parse("9999-12-31T00:00:00Z");
    return instant.isAfter(max) ? max : instant;
  }
}
