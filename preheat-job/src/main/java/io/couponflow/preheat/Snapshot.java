package io.couponflow.preheat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The last good snapshot: the coupon definitions a successful run read from MySQL, so a run can go
 * on when MySQL is unreachable. A gzip file of JSON lines: a header ({@code format}, {@code
 * takenAt}, {@code database}, {@code selection}), one line per coupon in ascending id order, and a
 * trailer with the count. It is written next to its final path and moved into place only after the
 * run succeeded, so a failed or interrupted run never replaces a good snapshot.
 *
 * <p>It holds definitions only, not redemption counts: a snapshot may refresh a coupon Redis
 * already holds (definitions apply only when their version is newer), but never creates one (see
 * {@link Candidate#mayCreate}).
 */
final class Snapshot {
  static final String FORMAT = "couponflow-preheat-snapshot-1";
  private static final JsonFactory JSON = new JsonFactory();

  private Snapshot() {}

  /** What a snapshot's header says. */
  record Header(Instant takenAt, String database, String selection) {}

  /**
   * Writes a new snapshot next to {@code path}; {@link #commit} puts it in place.
   *
   * <p>Thread-safety: not thread-safe.
   */
  static final class Writer implements AutoCloseable {
    private final Path path;
    private final Path temporary;
    private final JsonGenerator json;
    private long count;
    private boolean closed;

    Writer(Path path, Header header) {
      this.path = path;
      try {
        this.temporary =
            AtomicFile.temporaryNextTo(path, path.getFileName().toString(), ".partial");
        OutputStream out =
            new GZIPOutputStream(
                new BufferedOutputStream(Files.newOutputStream(temporary)), 1 << 16) {
              {
                def.setLevel(Deflater.BEST_SPEED);
              }
            };
        this.json = JSON.createGenerator(out);
        json.setPrettyPrinter(new MinimalPrettyPrinter("\n"));
        json.writeStartObject();
        json.writeStringField("format", FORMAT);
        json.writeStringField("takenAt", header.takenAt().toString());
        json.writeStringField("database", header.database());
        json.writeStringField("selection", header.selection());
        json.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the snapshot next to " + path, e);
      }
    }

    void write(List<Candidate> candidates) {
      try {
        for (Candidate candidate : candidates) {
          Coupon c = candidate.coupon();
          json.writeStartObject();
          json.writeNumberField("id", c.couponId());
          json.writeStringField("name", c.name());
          json.writeNumberField("total", c.totalStock());
          json.writeNumberField("limit", c.perUserLimit());
          json.writeNumberField("threshold", c.thresholdCents());
          json.writeNumberField("discount", c.discountCents());
          json.writeNumberField("starts", c.startsAt().toEpochMilli());
          json.writeNumberField("ends", c.endsAt().toEpochMilli());
          json.writeStringField("status", c.status().name());
          json.writeBooleanField("hot", c.hot());
          json.writeNumberField("buckets", c.buckets());
          json.writeNumberField("version", c.version());
          json.writeEndObject();
          count++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the snapshot next to " + path, e);
      }
    }

    /** Finishes the file and moves it over the previous snapshot in one step. */
    void commit() {
      try {
        json.writeStartObject();
        json.writeNumberField("count", count);
        json.writeEndObject();
        json.close();
        closed = true;
        AtomicFile.moveIntoPlace(temporary, path);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot put the snapshot in place at " + path, e);
      }
    }

    /** Drops the unfinished file unless it was committed. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          json.close();
        } catch (IOException e) {
          // The file is deleted next; its content no longer matters.
        }
      }
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + temporary, e);
      }
    }
  }

  /**
   * Reads a snapshot as a {@link CouponSource}: the coupons that match a selection at {@code now},
   * after a given id, in pages.
   *
   * <p>Thread-safety: not thread-safe.
   */
  static final class Reader implements CouponSource {
    private final Path path;
    private final Selection selection;
    private final Instant now;
    private final long afterId;
    private final int pageSize;
    private final InputStream in;
    private final JsonParser json;
    private final Header header;
    private final List<Long> namedLeft;
    private long count;
    private boolean finished;

    /**
     * @throws SourceUnavailableException when the file is missing or is not a snapshot
     */
    Reader(Path path, Selection selection, Instant now, long afterId, int pageSize) {
      this.path = path;
      this.selection = selection;
      this.now = now;
      this.afterId = afterId;
      this.pageSize = pageSize;
      this.namedLeft =
          new ArrayList<>(selection.named().stream().filter(id -> id > afterId).toList());
      InputStream opened = null;
      try {
        opened = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(path)), 1 << 16);
        this.in = opened;
        this.json = JSON.createParser(opened);
        Map<String, Object> first = readObject();
        if (first == null || !FORMAT.equals(first.get("format"))) {
          throw new SourceUnavailableException(path + " is not a preheat snapshot", null);
        }
        this.header =
            new Header(
                Instant.parse((String) first.get("takenAt")),
                (String) first.get("database"),
                (String) first.get("selection"));
      } catch (NoSuchFileException e) {
        closeQuietly(opened);
        throw new SourceUnavailableException("there is no snapshot at " + path, e);
      } catch (IOException | RuntimeException e) {
        closeQuietly(opened);
        throw unreadable(e);
      }
    }

    Header header() {
      return header;
    }

    @Override
    public String name() {
      return "snapshot";
    }

    @Override
    public long expectedTotal() {
      return selection.isNamed() ? namedLeft.size() : -1;
    }

    @Override
    public Page next() {
      if (finished) {
        return Page.END;
      }
      List<Candidate> candidates = new ArrayList<>(Math.min(pageSize, 1024));
      List<Long> missing = new ArrayList<>();
      try {
        while (candidates.size() < pageSize) {
          Map<String, Object> line = readObject();
          if (line == null) {
            throw new SourceUnavailableException(
                "the snapshot " + path + " ends without its trailer (truncated)", null);
          }
          if (!line.containsKey("id")) {
            if (((Number) line.get("count")).longValue() != count) {
              throw new SourceUnavailableException(
                  "the snapshot "
                      + path
                      + " holds "
                      + count
                      + " coupons, its trailer says "
                      + line.get("count"),
                  null);
            }
            finished = true;
            missing.addAll(namedLeft);
            namedLeft.clear();
            break;
          }
          count++;
          Coupon coupon = coupon(line);
          if (coupon.couponId() <= afterId || !selection.matches(coupon, now)) {
            continue;
          }
          while (!namedLeft.isEmpty() && namedLeft.get(0) < coupon.couponId()) {
            missing.add(namedLeft.remove(0));
          }
          if (!namedLeft.isEmpty() && namedLeft.get(0) == coupon.couponId()) {
            namedLeft.remove(0);
          }
          candidates.add(Candidate.fromSnapshot(coupon));
        }
      } catch (IOException | RuntimeException e) {
        throw unreadable(e);
      }
      return new Page(candidates, missing);
    }

    /** {@code e} when it already says why, else that the snapshot cannot be read because of it. */
    private SourceUnavailableException unreadable(Exception e) {
      return e instanceof SourceUnavailableException s
          ? s
          : new SourceUnavailableException("cannot read the snapshot " + path + ": " + e, e);
    }

    private static Coupon coupon(Map<String, Object> f) {
      return new Coupon(
          number(f, "id"),
          (String) f.get("name"),
          number(f, "total"),
          (int) number(f, "limit"),
          number(f, "threshold"),
          number(f, "discount"),
          Instant.ofEpochMilli(number(f, "starts")),
          Instant.ofEpochMilli(number(f, "ends")),
          CouponStatus.valueOf((String) f.get("status")),
          Boolean.TRUE.equals(f.get("hot")),
          (int) number(f, "buckets"),
          number(f, "version"));
    }

    private static long number(Map<String, Object> f, String field) {
      Object value = f.get(field);
      if (!(value instanceof Number n)) {
        throw new IllegalArgumentException("field " + field + " is missing or not a number");
      }
      return n.longValue();
    }

    /** The next flat object at the root, or null at the end of the file. */
    private Map<String, Object> readObject() throws IOException {
      JsonToken token = json.nextToken();
      if (token == null) {
        return null;
      }
      if (token != JsonToken.START_OBJECT) {
        throw new IOException("expected an object, found " + token);
      }
      Map<String, Object> fields = new HashMap<>();
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        String name = json.currentName();
        JsonToken value = json.nextToken();
        switch (value) {
          case VALUE_STRING -> fields.put(name, json.getText());
          case VALUE_NUMBER_INT -> fields.put(name, json.getLongValue());
          case VALUE_TRUE -> fields.put(name, Boolean.TRUE);
          case VALUE_FALSE -> fields.put(name, Boolean.FALSE);
          default -> throw new IOException("unexpected " + value + " in field " + name);
        }
      }
      return fields;
    }

    @Override
    public void close() {
      closeQuietly(in);
    }

    private static void closeQuietly(InputStream in) {
      if (in == null) {
        return;
      }
      try {
        in.close();
      } catch (IOException e) {
        // Reading is over; nothing was written.
      }
    }
  }
}
