package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CouponLibraryTest {

  /**
   * Processes load the library only when Redis holds an older version, so a changed source under an
   * unchanged version would never reach a Redis that already has the library. This test pins the
   * source's fingerprint to its version: change the Lua, bump LIBRARY_VERSION, and record the new
   * fingerprint in library-fingerprints.txt.
   */
  @Test
  void source_changedOnlyWithAVersionBump() throws IOException, NoSuchAlgorithmException {
    String fingerprint =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(CouponLibrary.source().getBytes(StandardCharsets.UTF_8)));
    String recorded;
    try (InputStream in = getClass().getResourceAsStream("/library-fingerprints.txt")) {
      recorded = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String line = CouponLibrary.version() + " " + fingerprint;

    assertThat(recorded.lines())
        .as("couponflow.lua changed: bump LIBRARY_VERSION and add the line '%s'", line)
        .contains(line);
  }

  @Test
  void source_declaresTheLibraryNameRedisNeeds() {
    assertThat(CouponLibrary.source()).startsWith("#!lua name=couponflow\n");
  }
}
