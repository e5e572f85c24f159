package io.couponflow.preheat;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedisReplies;
import io.couponflow.model.Coupon;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads pages of candidates into Redis: one pipelined chunk of {@code cf_load} calls per page, sent
 * without waiting so that several pages are in flight on the one connection; once a page is
 * answered, its ids go into the hot set and out on the events channel so every gateway warms them.
 *
 * <p>{@code cf_load} is idempotent (a definition applies only when its version is newer, stock is
 * set only when the coupon is absent), so a chunk that failed because Redis did not answer is
 * retried for the coupons that got no answer. Each attempt goes through the Redis circuit breaker;
 * when it opens, {@link RedisStoppedException} ends the run.
 *
 * <p>A candidate that may not create ({@link Candidate#mayCreate} false) is loaded update-only
 * ({@link CouponFunctions#update}): {@code cf_load} answers that Redis does not hold it without
 * writing anything, so the check and the write are one atomic step. A dry run asks {@code
 * cf_load_plan} the same questions and writes nothing: what it prints is what {@code cf_load} would
 * answer now.
 *
 * <p>Thread-safety: not thread-safe; one loading thread.
 */
final class RedisLoader {
  private static final Logger log = LoggerFactory.getLogger(RedisLoader.class);

  private final CouponFunctions functions;
  private final CouponRepair repair;
  private final Executor rebuilds;
  private final HotSet hot;
  private final CircuitBreaker breaker;
  private final Retry retry;
  private final boolean dryRun;
  private final PrintWriter out;
  private final Tally tally;
  private final long timeoutMillis;

  /**
   * @param repair rebuilds a coupon that Redis lost although MySQL holds redemptions of it (their
   *     records go back before the coupon is live), and makes live one that was created fenced
   *     because the Redis node had not settled (run on {@code rebuilds}, it blocks)
   */
  RedisLoader(
      HotSet hot,
      CouponFunctions functions,
      CouponRepair repair,
      Executor rebuilds,
      CircuitBreaker breaker,
      Retry retry,
      boolean dryRun,
      PrintWriter out,
      Tally tally) {
    this.functions = functions;
    this.repair = repair;
    this.rebuilds = rebuilds;
    this.hot = hot;
    this.breaker = breaker;
    this.retry = retry;
    this.dryRun = dryRun;
    this.out = out;
    this.tally = tally;
    this.timeoutMillis = functions.commandTimeout().multipliedBy(10).toMillis();
  }

  /** Redis stopped answering and its breaker opened: the run stops here, partial. */
  static final class RedisStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedisStoppedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Sends one page's calls and returns at once; {@link #finish} waits for the answers. Pages sent
   * before one is finished queue behind each other on the connection, which keeps Redis busy while
   * this thread counts the answers of the previous page.
   */
  Chunk start(List<Candidate> page) {
    return new Chunk(page);
  }

  /**
   * Waits for a page's answers, sends again the calls Redis did not answer, and counts every
   * candidate of the page in the tally.
   *
   * @throws RedisStoppedException when Redis stays unreachable; candidates without an answer are
   *     not counted
   */
  void finish(Chunk chunk) {
    guarded(chunk::attempt);
  }

  /** Removes from the hot set the coupons that ended before {@code now}; returns how many. */
  long pruneHotSet(Instant now) {
    long removed = 0;
    while (true) {
      int pruned = guarded(() -> await(hot.pruneEnded(now, 1000)));
      if (pruned == 0) {
        return removed;
      }
      removed += pruned;
    }
  }

  private <T> T guarded(Supplier<T> attempt) {
    try {
      return Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, attempt)).get();
    } catch (RedisReplies.RedisUnavailableException | CallNotPermittedException e) {
      throw new RedisStoppedException("Redis is unreachable: " + e.getMessage(), e);
    }
  }

  /** What happened to one candidate. */
  private enum Kind {
    LOADED,
    ALREADY_LIVE,
    UPDATED,
    RESTOCKED,
    /** Refused by Redis, or not live and not to be created from a snapshot. */
    NOT_LOADED
  }

  private record Result(Kind kind, String detail) {}

  /** One page's calls, and what is still without an answer. */
  final class Chunk {
    private List<Candidate> pending;
    private List<CompletableFuture<Result>> calls;
    private final List<Candidate> done = new ArrayList<>();
    private boolean announced;

    private Chunk(List<Candidate> page) {
      this.pending = page;
      this.calls = issue(page);
    }

    private List<CompletableFuture<Result>> issue(List<Candidate> candidates) {
      List<CompletableFuture<Result>> issued = new ArrayList<>(candidates.size());
      for (Candidate c : candidates) {
        issued.add(dryRun ? predict(c) : load(c));
      }
      return issued;
    }

    private Void attempt() {
      if (!pending.isEmpty()) {
        if (calls == null) {
          calls = issue(pending);
        }
        List<Candidate> unanswered = new ArrayList<>();
        RuntimeException failure = null;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (int i = 0; i < calls.size(); i++) {
          Candidate c = pending.get(i);
          try {
            Result result = await(calls.get(i), deadline);
            count(c, result);
            if (result.kind() != Kind.NOT_LOADED) {
              done.add(c);
            }
          } catch (RedisReplies.RedisUnavailableException e) {
            unanswered.add(c);
            failure = e;
          } catch (RedisReplies.LibraryErrorException e) {
            count(c, new Result(Kind.NOT_LOADED, e.getMessage()));
          }
        }
        pending = unanswered;
        calls = null;
        if (failure != null) {
          log.warn(
              "Redis did not answer for {} coupons: {}", unanswered.size(), failure.getMessage());
          throw failure;
        }
      }
      if (!announced && !dryRun && !done.isEmpty()) {
        announce(done);
        announced = true;
      }
      return null;
    }
  }

  private void count(Candidate c, Result result) {
    switch (result.kind()) {
      case LOADED -> tally.loaded++;
      case ALREADY_LIVE -> tally.alreadyLive++;
      case UPDATED -> tally.updated++;
      case RESTOCKED -> {
        tally.updated++;
        tally.restocked++;
        log.info("Coupon {}: {}", c.couponId(), result.detail());
      }
      case NOT_LOADED -> {
        tally.failed++;
        log.warn("Coupon {} was not loaded: {}", c.couponId(), result.detail());
      }
    }
    if (dryRun && result.kind() != Kind.NOT_LOADED) {
      out.println(
          "would load coupon " + c.couponId() + " (" + c.coupon().name() + "): " + result.detail());
    }
  }

  private static final String NOT_LIVE =
      "Redis does not hold it, and a snapshot never creates a coupon (its redemption counts may"
          + " be stale); it is loaded by the next run that reaches MySQL";

  /** Loads one coupon. Runs its continuations on Redis client threads: it touches no state. */
  private CompletableFuture<Result> load(Candidate c) {
    Coupon coupon = c.coupon();
    CompletableFuture<LoadOutcome> call;
    if (!c.mayCreate()) {
      call = functions.update(coupon);
    } else if (c.accepted() + c.reversed() == 0) {
      call =
          repair.createUnredeemed(coupon, Duration.ofNanos(System.nanoTime() - c.countsReadAt()));
    } else {
      return makeLive(coupon);
    }
    return call.thenCompose(
        outcome -> {
          if (outcome instanceof LoadOutcome.Created created) {
            return created.live()
                ? done(Kind.LOADED, "created with stock " + created.stock())
                : makeLive(coupon);
          }
          if (outcome instanceof LoadOutcome.Updated u) {
            return u.restockDelta() == 0
                ? done(Kind.UPDATED, "definition updated")
                : done(
                    Kind.RESTOCKED,
                    String.format(
                        "restock of %+d applied (stock now %d)", u.restockDelta(), u.stock()));
          }
          if (outcome instanceof LoadOutcome.Unchanged) {
            return done(Kind.ALREADY_LIVE, "already live");
          }
          if (outcome instanceof LoadOutcome.Absent) {
            return done(Kind.NOT_LOADED, NOT_LIVE);
          }
          return done(Kind.NOT_LOADED, ((LoadOutcome.Refused) outcome).reason());
        });
  }

  /**
   * Makes a coupon live through a repair from MySQL (on the rebuild executor; it blocks), waiting
   * while the Redis node settles.
   */
  private CompletableFuture<Result> makeLive(Coupon coupon) {
    return CompletableFuture.supplyAsync(
        () -> {
          long deadline = System.nanoTime() + functions.repairSettle().multipliedBy(3).toNanos();
          while (true) {
            CouponRepair.Outcome outcome = repair.makeLive(coupon);
            if (outcome instanceof CouponRepair.Outcome.Settling settling
                && System.nanoTime() < deadline) {
              sleep(settling.remaining());
              continue;
            }
            if (outcome instanceof CouponRepair.Outcome.Created created) {
              return new Result(Kind.LOADED, "created with stock " + created.stock());
            }
            if (outcome instanceof CouponRepair.Outcome.Repaired repaired) {
              return new Result(
                  Kind.LOADED,
                  "rebuilt from MySQL with "
                      + repaired.report().restored().size()
                      + " redemptions put back; "
                      + repaired.report().counters());
            }
            if (outcome instanceof CouponRepair.Outcome.Live) {
              return new Result(Kind.ALREADY_LIVE, "already live");
            }
            if (outcome instanceof CouponRepair.Outcome.Settling settling) {
              return new Result(
                  Kind.NOT_LOADED,
                  "the Redis node restarted or failed over moments ago; retry in "
                      + settling.remaining().toMillis()
                      + " ms");
            }
            return new Result(Kind.NOT_LOADED, "MySQL no longer holds it");
          }
        },
        rebuilds);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisStoppedException("interrupted", e);
    }
  }

  private static CompletableFuture<Result> done(Kind kind, String detail) {
    return CompletableFuture.completedFuture(new Result(kind, detail));
  }

  /**
   * What {@link #load} would do, as Redis answers it ({@code cf_load_plan}); writes nothing. A
   * coupon that would be rebuilt from its MySQL rows is shown as the coupon that rebuild creates.
   */
  private CompletableFuture<Result> predict(Candidate c) {
    Coupon coupon = c.coupon();
    CompletableFuture<LoadOutcome> plan =
        c.mayCreate()
            ? functions.loadPlan(coupon, c.accepted(), c.reversed())
            : functions.updatePlan(coupon);
    return plan.thenApply(
        outcome -> {
          if (outcome instanceof LoadOutcome.Created created) {
            return new Result(Kind.LOADED, "create with stock " + created.stock());
          }
          if (outcome instanceof LoadOutcome.Absent) {
            return new Result(Kind.NOT_LOADED, NOT_LIVE);
          }
          if (outcome instanceof LoadOutcome.Unchanged unchanged) {
            return new Result(
                Kind.ALREADY_LIVE, "already live (version " + unchanged.liveVersion() + ")");
          }
          if (outcome instanceof LoadOutcome.Updated updated) {
            return updated.restockDelta() == 0
                ? new Result(Kind.UPDATED, "update to version " + coupon.version())
                : new Result(
                    Kind.RESTOCKED,
                    String.format(
                        "update to version %d with a restock of %+d",
                        coupon.version(), updated.restockDelta()));
          }
          return new Result(Kind.NOT_LOADED, ((LoadOutcome.Refused) outcome).reason());
        });
  }

  /** Adds the ids to the hot set (with their ends) and tells every gateway to warm them. */
  private void announce(List<Candidate> loaded) {
    Map<Long, Instant> ends = new LinkedHashMap<>();
    for (Candidate c : loaded) {
      ends.put(c.couponId(), c.coupon().endsAt());
    }
    await(CompletableFuture.allOf(hot.add(ends), functions.publishLoaded(ends.keySet())));
  }

  private <T> T await(CompletableFuture<T> future) {
    return await(future, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
  }

  /** Waits until {@code deadline} (a {@link System#nanoTime} value) at most. */
  private static <T> T await(CompletableFuture<T> future, long deadline) {
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw RedisReplies.map(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisStoppedException("interrupted", e);
    }
  }
}
