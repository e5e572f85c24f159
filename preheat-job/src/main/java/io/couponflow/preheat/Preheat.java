package io.couponflow.preheat;

import io.couponflow.config.JdbcSettings;
import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.RedisReplies;
import io.couponflow.lua.RedisStore;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One preheat run: read the selection page by page, load each page into Redis with pipelined {@code
 * cf_load} calls while the next page is being read, tell the gateways, and keep a snapshot of what
 * MySQL said for the next run that cannot reach MySQL.
 *
 * <p>Failures: MySQL unreachable means reading on from the last good snapshot, which refreshes
 * coupons Redis holds but never creates one; Redis unreachable means stopping where the run is.
 * Both end the run partial (exit 2). Every failure is caught here and becomes the summary.
 */
final class Preheat {
  private static final Logger log = LoggerFactory.getLogger(Preheat.class);

  /** Pages of Redis calls sent before the oldest one's answers are collected. */
  static final int PAGES_IN_FLIGHT = 3;

  private final PreheatSettings settings;
  private final PrintWriter out;
  private final Progress progress;

  Preheat(PreheatSettings settings, PrintWriter out, Progress progress) {
    this.settings = settings;
    this.out = out;
    this.progress = progress;
  }

  Summary run(Selection selection, boolean dryRun) {
    long start = System.nanoTime();
    Tally tally = new Tally();
    Run run = new Run(selection, dryRun, tally);
    Summary.Result result;
    String reason = null;
    try {
      reason = run.execute();
      if (reason == null && tally.failed > 0) {
        reason = tally.failed + " coupons were not loaded (see the log)";
      }
      result = reason == null ? Summary.Result.OK : Summary.Result.PARTIAL;
    } catch (RedisLoader.RedisStoppedException e) {
      result = Summary.Result.PARTIAL;
      reason = "stopped: " + e.getMessage();
    } catch (CouponSource.SourceUnavailableException e) {
      result = tally.done() > 0 ? Summary.Result.PARTIAL : Summary.Result.FAILED;
      reason = "no coupon source: " + e.getMessage();
    } catch (Migrations.SchemaBehindException e) {
      result = Summary.Result.FAILED;
      reason = e.getMessage();
    } catch (RuntimeException e) {
      log.error("Preheat failed", e);
      result = Summary.Result.FAILED;
      reason = "failed: " + e;
    }
    progress.finish(tally.done());
    if (run.waits != null) {
      log.info(run.waits);
    }
    return Summary.of(
        tally,
        run.sourceName(),
        Duration.ofNanos(System.nanoTime() - start),
        result,
        reason,
        dryRun);
  }

  /** The state of one run. */
  private final class Run {
    private final Selection selection;
    private final boolean dryRun;
    private final Tally tally;
    private final Instant now = Instant.now();
    private FallbackSource source;
    private Snapshot.Writer snapshotWriter;
    private String waits;

    Run(Selection selection, boolean dryRun, Tally tally) {
      this.selection = selection;
      this.dryRun = dryRun;
      this.tally = tally;
    }

    String sourceName() {
      return source == null ? "none" : source.name();
    }

    /** Runs to the end; returns why the run is partial, or null. */
    String execute() {
      Breakers breakers = new Breakers(settings);
      RedisStore redis;
      try {
        redis = RedisStore.connect(settings.redis());
      } catch (RuntimeException e) {
        throw new RedisLoader.RedisStoppedException(
            "Redis at "
                + settings.redis().describe()
                + " is unreachable: "
                + RedisReplies.map(e).getMessage(),
            e);
      }
      ExecutorService reader =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "preheat-mysql-reader");
                t.setDaemon(true);
                return t;
              });
      try (redis;
          Database database = Database.open(settings.jdbc(), "couponflow-preheat")) {
        try {
          CouponLibrary.ensureLoaded(redis).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new RedisLoader.RedisStoppedException(
              "cannot load the couponflow library: " + RedisReplies.map(e).getMessage(), e);
        }
        MySqlGuard guard = new MySqlGuard(breakers);
        source =
            new FallbackSource(
                new MySqlSource(database, selection, now, settings.batch(), guard),
                this::openSnapshot);
        checkSchema(database, guard);
        progress.expect(source.expectedTotal());
        if (!dryRun && !selection.isNamed() && !source.usedSnapshot()) {
          snapshotWriter =
              new Snapshot.Writer(
                  settings.snapshot(),
                  new Snapshot.Header(now, database(settings.jdbc()), selection.describe()));
        }
        CouponFunctions functions = new CouponFunctions(redis, settings.idempotencyRetention());
        RedisLoader loader =
            new RedisLoader(
                new HotSet(redis),
                functions,
                new CouponRepair(functions, database.sessions()),
                reader,
                breakers.redis,
                breakers.redisRetry,
                dryRun,
                out,
                tally);
        loadAll(reader, loader);
        if (!dryRun) {
          long pruned = loader.pruneHotSet(Instant.now());
          if (pruned > 0) {
            log.info("Removed {} ended coupons from the hot set", pruned);
          }
        }
        if (snapshotWriter != null && !source.usedSnapshot()) {
          snapshotWriter.commit();
        }
        if (source.usedSnapshot()) {
          return "MySQL unreachable ("
              + source.fallbackReason()
              + "); definitions from the snapshot "
              + settings.snapshot();
        }
        return null;
      } finally {
        reader.shutdownNow();
        try {
          reader.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (snapshotWriter != null) {
          snapshotWriter.close();
        }
        if (source != null) {
          source.close();
        }
      }
    }

    private void checkSchema(Database database, MySqlGuard guard) {
      try {
        guard.call(
            () -> {
              Migrations.requireCurrent(database.dataSource());
              return null;
            });
      } catch (CouponSource.SourceUnavailableException e) {
        log.warn("Cannot check the MySQL schema: {}", e.getMessage());
      }
    }

    private void loadAll(ExecutorService reader, RedisLoader loader) {
      Deque<RedisLoader.Chunk> inFlight = new ArrayDeque<>();
      Future<CouponSource.Page> next = reader.submit(this::read);
      long mysqlWait = 0;
      long redisWait = 0;
      while (true) {
        long waiting = System.nanoTime();
        CouponSource.Page page = await(next);
        mysqlWait += System.nanoTime() - waiting;
        if (page.isEnd()) {
          break;
        }
        next = reader.submit(this::read);
        for (long id : page.missing()) {
          tally.failed++;
          log.warn("Coupon {} does not exist in {}", id, source.name());
        }
        for (CouponSource.Invalid bad : page.invalid()) {
          tally.failed++;
          log.warn(
              "Coupon {} skipped: its definition in {} is invalid: {}",
              bad.couponId(),
              source.name(),
              bad.reason());
        }
        inFlight.add(loader.start(page.candidates()));
        if (inFlight.size() >= PAGES_IN_FLIGHT) {
          waiting = System.nanoTime();
          loader.finish(inFlight.poll());
          redisWait += System.nanoTime() - waiting;
          progress.advance(tally.done());
        }
      }
      long waiting = System.nanoTime();
      while (!inFlight.isEmpty()) {
        loader.finish(inFlight.poll());
        progress.advance(tally.done());
      }
      redisWait += System.nanoTime() - waiting;
      waits =
          String.format(
              Locale.ROOT,
              "Waited %.1f s for %s pages and %.1f s for Redis answers",
              mysqlWait / 1e9,
              source.name(),
              redisWait / 1e9);
    }

    /** Runs on the reader thread. */
    private CouponSource.Page read() {
      long t0 = System.nanoTime();
      CouponSource.Page page = source.next();
      if (snapshotWriter != null && !source.usedSnapshot()) {
        snapshotWriter.write(page.candidates());
      }
      return page;
    }

    private CouponSource openSnapshot(long afterId) {
      Path path = settings.snapshot();
      Snapshot.Reader snapshot =
          new Snapshot.Reader(path, selection, now, afterId, settings.batch());
      String expected = database(settings.jdbc());
      if (!expected.equals(snapshot.header().database())) {
        snapshot.close();
        throw new CouponSource.SourceUnavailableException(
            "the snapshot " + path + " is of " + snapshot.header().database() + ", not " + expected,
            null);
      }
      log.warn(
          "Using the snapshot {} taken at {} ({}s ago)",
          path,
          snapshot.header().takenAt(),
          Duration.between(snapshot.header().takenAt(), now).toSeconds());
      return snapshot;
    }
  }

  private static String database(JdbcSettings jdbc) {
    return jdbc.address() + "/" + jdbc.database();
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** MySQL reads under the MySQL breaker and retry. */
  private static final class MySqlGuard implements MySqlSource.Guard {
    private final Breakers breakers;
    private volatile String lastFailure = "none recorded";

    MySqlGuard(Breakers breakers) {
      this.breakers = breakers;
    }

    @Override
    public <T> T call(Supplier<T> read) {
      try {
        return Retry.decorateSupplier(
                breakers.mysqlRetry, CircuitBreaker.decorateSupplier(breakers.mysql, read))
            .get();
      } catch (CallNotPermittedException e) {
        throw new CouponSource.SourceUnavailableException(
            "its circuit breaker is open after: " + lastFailure, e);
      } catch (RuntimeException e) {
        if (Breakers.isMySqlUnavailable(e)) {
          lastFailure = rootMessage(e);
          throw new CouponSource.SourceUnavailableException(lastFailure, e);
        }
        throw e;
      }
    }

    private static String rootMessage(Throwable e) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
    }
  }
}
