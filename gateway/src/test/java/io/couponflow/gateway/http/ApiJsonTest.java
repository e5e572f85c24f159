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

  @Test
  void parseReversal_loneSurrogateOrNul_isRefused() {
    assertThatThrownBy(() -> ApiJson.parseReversal(reason("a\\ud800b")))
        .hasMessage("reason: must be valid Unicode text without NUL");
    assertThatThrownBy(() -> ApiJson.parseReversal(reason("a\\u0000b")))
        .hasMessage("reason: must be valid Unicode text without NUL");
  }
}
