package io.couponflow.model;

/**
 * The one definition of the texts that name things in a redemption: user and order ids, and
 * idempotency keys. The API, the Redis contract and the model all check them here (the Functions
 * library's {@code arg_id} and {@code arg_key} hold the same rules inside Redis). They become parts
 * of records and redemption ids, so no separator ({@code .} in an id, {@code |} anywhere) may slip
 * in.
 */
public final class Ids {
  /** The longest user or order id. */
  public static final int MAX_ID_LENGTH = 64;

  /** The rule for a user or order id, in the words every refusal uses. */
  public static final String ID_RULE = "1-64 characters of A-Z a-z 0-9 _ -";

  /** The longest idempotency key. */
  public static final int MAX_KEY_LENGTH = 128;

  /** The rule for an idempotency key, in the words every refusal uses. */
  public static final String KEY_RULE = "1-128 characters of A-Z a-z 0-9 . _ : -";

  /** {@link #isId} as a regular expression, for parsers that embed an id. */
  static final String ID_REGEX = "[A-Za-z0-9_-]{1," + MAX_ID_LENGTH + "}";

  private Ids() {}

  /** Whether {@code text} is a user or order id ({@link #ID_RULE}). */
  public static boolean isId(String text) {
    return fits(text, MAX_ID_LENGTH, false);
  }

  /** Whether {@code key} is an idempotency key ({@link #KEY_RULE}). */
  public static boolean isIdempotencyKey(String key) {
    return fits(key, MAX_KEY_LENGTH, true);
  }

  /**
   * Checked without a regex matcher: each match allocated one, and a redemption checks its texts
   * several times.
   */
  private static boolean fits(String s, int maxLength, boolean dotAndColon) {
    int n = s.length();
    if (n < 1 || n > maxLength) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-'
              || (dotAndColon && (c == '.' || c == ':'));
      if (!allowed) {
        return false;
      }
    }
    return true;
  }
}
