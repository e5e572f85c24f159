package io.couponflow.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IdsTest {
  private static final String ALPHABET = "aZ09._:-/ é\u0000{|";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  @Test
  void isIdAndIsIdempotencyKey_agreeWithTheRulesAsRegularExpressions() {
    Random random = new Random(42);
    Pattern idRegex = Pattern.compile(Ids.ID_REGEX);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int length = random.nextInt(131);
      for (int j = 0; j < length; j++) {
        b.append(
            random.nextInt(8) == 0
                ? ALPHABET.charAt(random.nextInt(ALPHABET.length()))
                : ALPHABET.charAt(random.nextInt(8)));
      }
      String s = b.toString();
      assertThat(Ids.isIdempotencyKey(s)).as("key '%s'", s).isEqualTo(KEY.matcher(s).matches());
      assertThat(Ids.isId(s)).as("id '%s'", s).isEqualTo(ID.matcher(s).matches());
      assertThat(idRegex.matcher(s).matches()).as("id '%s'", s).isEqualTo(Ids.isId(s));
    }
  }

  @Test
  void bounds() {
    assertThat(Ids.isIdempotencyKey("")).isFalse();
    assertThat(Ids.isIdempotencyKey("k".repeat(128))).isTrue();
    assertThat(Ids.isIdempotencyKey("k".repeat(129))).isFalse();
    assertThat(Ids.isIdempotencyKey("a.b:c_d-E9")).isTrue();
    assertThat(Ids.isId("")).isFalse();
    assertThat(Ids.isId("u".repeat(64))).isTrue();
    assertThat(Ids.isId("u".repeat(65))).isFalse();
    assertThat(Ids.isId("u.1")).isFalse();
    assertThat(Ids.isId("u:1")).isFalse();
  }

  @Test
  void rules_sayTheLimits() {
    assertThat(Ids.ID_RULE).startsWith("1-" + Ids.MAX_ID_LENGTH + " ");
    assertThat(Ids.KEY_RULE).startsWith("1-" + Ids.MAX_KEY_LENGTH + " ");
  }
}
