package io.couponflow.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Just enough PromQL to find the vector selectors of an expression ({@code name{matchers}}): an
 * alert's expression is empty whenever the alert does not fire, so the Prometheus test checks that
 * every series it reads exists instead.
 */
final class PromQl {
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "offset", "bool", "inf", "nan", "atan2");

  /** Aggregations, which may put {@code by (...)} between their name and their parenthesis. */
  private static final Set<String> AGGREGATIONS =
      Set.of(
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile");

  /** Keywords followed by a parenthesised list of label names, not an expression. */
  private static final Set<String> LABEL_LISTS =
      Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  private PromQl() {}

  /** The distinct vector selectors of {@code expr}, in order, each with its label matchers. */
  static List<String> selectors(String expr) {
    Set<String> found = new LinkedHashSet<>();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        i = skipString(expr, i);
      } else if (c == '[') {
        i = expr.indexOf(']', i) + 1;
      } else if (c == '#') {
        int eol = expr.indexOf('\n', i);
        i = eol < 0 ? n : eol;
      } else if (Character.isDigit(c)
          || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
        while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
          i++;
        }
      } else if (Character.isLetter(c) || c == '_' || c == ':') {
        int start = i;
        while (i < n
            && (Character.isLetterOrDigit(expr.charAt(i)) || "_:".indexOf(expr.charAt(i)) >= 0)) {
          i++;
        }
        String word = expr.substring(start, i);
        int next = skipSpace(expr, i);
        if (LABEL_LISTS.contains(word)) {
          if (next < n && expr.charAt(next) == '(') {
            i = expr.indexOf(')', next) + 1;
          }
        } else if (KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))
            || AGGREGATIONS.contains(word)) {
          // an operator
        } else if (next < n && expr.charAt(next) == '(') {
          // a function or an aggregation
        } else if (next < n && expr.charAt(next) == '{') {
          int end = matchingBrace(expr, next);
          found.add(word + expr.substring(next, end + 1).replaceAll("\\s+", " "));
          i = end + 1;
        } else {
          found.add(word);
        }
      } else {
        i++;
      }
    }
    return new ArrayList<>(found);
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static int skipString(String s, int start) {
    char quote = s.charAt(start);
    int i = start + 1;
    while (i < s.length() && s.charAt(i) != quote) {
      i += s.charAt(i) == '\\' && quote != '`' ? 2 : 1;
    }
    return i + 1;
  }

  private static int matchingBrace(String s, int open) {
    int i = open + 1;
    while (i < s.length() && s.charAt(i) != '}') {
      char c = s.charAt(i);
      i = c == '"' || c == '\'' || c == '`' ? skipString(s, i) : i + 1;
    }
    if (i >= s.length()) {
      throw new IllegalArgumentException("unclosed '{' in: " + s);
    }
    return i;
  }
}
