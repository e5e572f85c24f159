package io.couponflow.bench.scenario;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A copy of the couponflow library with cf_redeem's fence check cut out, for measuring what the
 * check costs (scenario "fence"); never for anything else. Text surgery on the library's source:
 * the {@code if ... then return { 'FENCED' } end} block of the function registered as {@code
 * cf_redeem} is removed (it costs an {@code INFO replication} per call), and {@code
 * LIBRARY_VERSION} goes up by {@value #VERSION_BUMP}, so that a gateway started against it keeps it
 * instead of loading its own. Every other function keeps its fence. Refuses, saying why, a source
 * whose cf_redeem does not have exactly one such check.
 */
public final class FencelessLibrary {
  public static final int VERSION_BUMP = 1000;

  private static final Pattern REGISTERED =
      Pattern.compile(
          "register_function\\(\\s*'cf_redeem'\\s*,\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)"
              + "|function_name\\s*=\\s*'cf_redeem'\\s*,\\s*callback\\s*=\\s*([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern FENCE_BLOCK =
      Pattern.compile(
          "(?m)^([ \\t]*)if [^\\n]* then\\n[ \\t]*return \\{ *'FENCED' *\\}\\n\\1end[ \\t]*\\n"
              + "|^[ \\t]*if [^\\n]* then return \\{ *'FENCED' *\\} end[ \\t]*\\n");
  private static final Pattern VERSION = Pattern.compile("local LIBRARY_VERSION = (\\d+)");

  private FencelessLibrary() {}

  /** The fenceless copy of {@code source}. */
  public static String of(String source) {
    Matcher registered = REGISTERED.matcher(source);
    if (!registered.find()) {
      throw refuse("no function is registered as cf_redeem");
    }
    String name = registered.group(1) != null ? registered.group(1) : registered.group(2);
    Matcher start =
        Pattern.compile("(?m)^local function " + Pattern.quote(name) + "\\(").matcher(source);
    if (!start.find()) {
      throw refuse("cf_redeem's function '" + name + "' is not a top-level 'local function'");
    }
    int end = source.indexOf("\nend\n", start.start());
    if (end < 0) {
      throw refuse("cf_redeem's function '" + name + "' has no 'end' at the start of a line");
    }
    end += "\nend\n".length();
    String body = source.substring(start.start(), end);
    Matcher fence = FENCE_BLOCK.matcher(body);
    if (!fence.find()) {
      throw refuse("cf_redeem has no 'if ... then return { 'FENCED' } end' block");
    }
    String cut = body.substring(0, fence.start()) + body.substring(fence.end());
    if (cut.contains("'FENCED'")) {
      throw refuse("cf_redeem answers FENCED in more than one place");
    }
    String result = source.substring(0, start.start()) + cut + source.substring(end);
    Matcher version = VERSION.matcher(result);
    if (!version.find()) {
      throw refuse("the library has no LIBRARY_VERSION");
    }
    int bumped = Integer.parseInt(version.group(1)) + VERSION_BUMP;
    result = result.substring(0, version.start(1)) + bumped + result.substring(version.end(1));
    if (VERSION.matcher(result).results().count() != 1) {
      throw refuse("the library sets LIBRARY_VERSION more than once");
    }
    return result;
  }

  /** {@code LIBRARY_VERSION} of a library source. */
  public static int versionOf(String source) {
    Matcher m = VERSION.matcher(source);
    if (!m.find()) {
      throw new IllegalArgumentException("the library has no LIBRARY_VERSION");
    }
    return Integer.parseInt(m.group(1));
  }

  private static IllegalStateException refuse(String why) {
    return new IllegalStateException(
        "the bench cannot cut the fence out of this build's library: "
            + why
            + " (update FencelessLibrary to the library's new shape)");
  }
}
