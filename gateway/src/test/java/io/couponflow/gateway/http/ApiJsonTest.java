package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ApiJsonTest {
  private static byte[] reason(String jsonString) {
    return ("{\"reason\":\"" + jsonString + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void parseReversal_256Characters_areAccepted_evenOutsideTheBasicPlane() throws Exception {
    String emoji = "\uD83D\uDE00".repeat(256);

    assertThat(ApiJson.parseReversal(reason(emoji))).isEqualTo(emoji);
    assertThat(ApiJson.parseReversal(reason("x".repeat(256)))).hasSize(256);
  }

  @Test
  void parseReversal_257Characters_areRefused() {
    assertThatThrownBy(() -> ApiJson.parseReversal(reason("\uD83D\uDE00".repeat(257))))
        .isInstanceOf(ApiException.class)
        .hasMessage("reason: at most 256 characters");
  }

  @Test
  void parseReversal_lineBreaksAndTabs_areText() throws Exception {
    assertThat(ApiJson.parseReversal(reason("line 1\\nline 2\\tend")))
        .isEqualTo("line 1\nline 2\tend");
  }

  /**
   * Found by ApiJsonFuzzTest: a UTF-8 byte order mark before the body is skipped, as RFC 8259
   * section 8.1 allows a parser to; a UTF-16 one is refused (the API speaks UTF-8 only).
   */
  @Test
  void utf8ByteOrderMark_isIgnored_utf16OneIsRefused() throws Exception {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] body =
        "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":1}"
            .getBytes(StandardCharsets.UTF_8);

    assertThat(ApiJson.parseRedeem(concat(bom, body)))
        .isEqualTo(new ApiJson.RedeemBody(42, "u-1", "SO-1", 1));
    assertThat(ApiJson.parseReversal(concat(bom, reason("x")))).isEqualTo("x");
    assertThatThrownBy(
            () -> ApiJson.parseRedeem(concat(new byte[] {(byte) 0xFE, (byte) 0xFF}, body)))
        .isInstanceOf(ApiException.class)
        .hasMessage("body must be UTF-8");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void parseReversal_loneSurrogateOrNul_isRefused() {
    assertThatThrownBy(() -> ApiJson.parseReversal(reason("a\\ud800b")))
        .hasMessage("reason: must be valid Unicode text without NUL");
    assertThatThrownBy(() -> ApiJson.parseReversal(reason("a\\u0000b")))
        .hasMessage("reason: must be valid Unicode text without NUL");
  }
}
