package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");

  @TempDir Path dir;

  private static Coupon coupon(long id, boolean hot) {
    return new Coupon(
        id,
        "coupon \"" + id + "\"",
        100 + id,
        2,
        300,
        50,
        NOW.minusSeconds(60),
        NOW.plusSeconds(3600),
        CouponStatus.ACTIVE,
        hot,
        4,
        id);
  }

  private Path write(long... ids) {
    Path path = dir.resolve("s.json.gz");
    try (Snapshot.Writer w =
        new Snapshot.Writer(path, new Snapshot.Header(NOW, "db:3306/x", "window 30m + hot"))) {
      w.write(
          LongStream.of(ids)
              .mapToObj(id -> Candidate.fromSnapshot(coupon(id, id % 2 == 0)))
              .toList());
      w.commit();
    }
    return path;
  }

  private static List<CouponSource.Page> readAll(CouponSource source) {
    List<CouponSource.Page> pages = new ArrayList<>();
    for (CouponSource.Page p = source.next(); !p.isEnd(); p = source.next()) {
      pages.add(p);
    }
    return pages;
  }

  @Test
  void roundTrip_keepsEveryDefinition_inPages_andNeverMayCreate() {
    Path path = write(1, 2, 3, 4, 5);

    try (Snapshot.Reader r =
        new Snapshot.Reader(path, Selection.startingWithin(Duration.ofMinutes(30)), NOW, 0, 2)) {
      assertThat(r.header()).isEqualTo(new Snapshot.Header(NOW, "db:3306/x", "window 30m + hot"));
      List<CouponSource.Page> pages = readAll(r);

      assertThat(pages).extracting(p -> p.candidates().size()).containsExactly(2, 2, 1);
      List<Candidate> all = pages.stream().flatMap(p -> p.candidates().stream()).toList();
      assertThat(all)
          .extracting(Candidate::coupon)
          .containsExactly(
              coupon(1, false),
              coupon(2, true),
              coupon(3, false),
              coupon(4, true),
              coupon(5, false));
      assertThat(all).noneMatch(Candidate::mayCreate);
    }
    assertThat(dir).isDirectoryNotContaining("glob:**.partial");
  }

  @Test
  void reader_continuesAfterAnId_andReportsNamedIdsItDoesNotHold() {
    Path path = write(1, 2, 5, 7);

    try (Snapshot.Reader r =
        new Snapshot.Reader(path, Selection.ofIds(List.of(1L, 3L, 5L, 9L)), NOW, 1, 100)) {
      List<CouponSource.Page> pages = readAll(r);

      assertThat(pages).hasSize(1);
      assertThat(pages.get(0).candidates()).extracting(Candidate::couponId).containsExactly(5L);
      assertThat(pages.get(0).missing()).containsExactly(3L, 9L);
    }
  }

  @Test
  void unfinishedWriter_leavesThePreviousSnapshotInPlace() throws Exception {
    Path path = write(1);
    byte[] before = Files.readAllBytes(path);

    try (Snapshot.Writer w = new Snapshot.Writer(path, new Snapshot.Header(NOW, "db", "all"))) {
      w.write(List.of(Candidate.fromSnapshot(coupon(2, false))));
    }

    assertThat(Files.readAllBytes(path)).isEqualTo(before);
    assertThat(dir).isDirectoryNotContaining("glob:**.partial");
  }

  @Test
  void missingFile_isUnavailable() {
    assertThatThrownBy(
            () -> new Snapshot.Reader(dir.resolve("none"), Selection.everyActive(), NOW, 0, 10))
        .isInstanceOf(CouponSource.SourceUnavailableException.class)
        .hasMessage("there is no snapshot at " + dir.resolve("none"));
  }

  @Test
  void fileWithoutTrailer_isUnavailableWhenReached() throws Exception {
    Path path = dir.resolve("cut.json.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(path))) {
      out.write(
          ("{\"format\":\""
                  + Snapshot.FORMAT
                  + "\",\"takenAt\":\""
                  + NOW
                  + "\",\"database\":\"db\",\"selection\":\"all\"}\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    try (Snapshot.Reader r = new Snapshot.Reader(path, Selection.everyActive(), NOW, 0, 10)) {
      assertThatThrownBy(r::next)
          .isInstanceOf(CouponSource.SourceUnavailableException.class)
          .hasMessageContaining("ends without its trailer");
    }
  }

  @Test
  void otherFile_isNotASnapshot() throws Exception {
    Path path = dir.resolve("other.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(path))) {
      out.write(
          "{\"format\":\"something else\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    assertThatThrownBy(() -> new Snapshot.Reader(path, Selection.everyActive(), NOW, 0, 10))
        .isInstanceOf(CouponSource.SourceUnavailableException.class)
        .hasMessage(path + " is not a preheat snapshot");
  }
}
