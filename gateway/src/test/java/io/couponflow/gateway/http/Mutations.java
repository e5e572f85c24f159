package io.couponflow.gateway.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Byte-level mutations of valid inputs, for the fuzzing properties: overwrite, insert, delete,
 * duplicate, truncate, change case, and splice in tokens that parsers treat specially (anywhere, or
 * as a line of their own). Each mutation is a value jqwik can shrink (fewer mutations, earlier
 * positions, smaller tokens).
 */
final class Mutations {
  private Mutations() {}

  /** One edit at a relative position (0..1 of the input's length). */
  record Edit(int kind, double at, double span, byte value, byte[] token) {
    byte[] apply(byte[] in) {
      int n = in.length;
      int pos = (int) Math.min(n, Math.floor(at * (n + 1)));
      int len = Math.max(1, (int) Math.floor(span * Math.min(32, n - pos)));
      switch (kind) {
        case 0: // overwrite one byte
          if (pos < n) {
            byte[] out = in.clone();
            out[pos] = value;
            return out;
          }
          return concat(in, new byte[] {value});
        case 1: // insert a token
          return concat(slice(in, 0, pos), token, slice(in, pos, n));
        case 2: // delete a range
          return concat(slice(in, 0, pos), slice(in, Math.min(n, pos + len), n));
        case 3: // duplicate a range
          return concat(slice(in, 0, Math.min(n, pos + len)), slice(in, pos, n));
        case 4: // truncate
          return slice(in, 0, pos);
        case 5: // insert a token at the start of a line (a header of its own, in a request)
          {
            int lines = 0;
            for (int i = 0; i + 1 < n; i++) {
              if (in[i] == '\r' && in[i + 1] == '\n') {
                lines++;
              }
            }
            int wanted = (int) Math.floor(at * lines);
            for (int i = 0, seen = 0; i + 1 < n; i++) {
              if (in[i] == '\r' && in[i + 1] == '\n' && seen++ == wanted) {
                return concat(slice(in, 0, i + 2), token, slice(in, i + 2, n));
              }
            }
            return concat(token, in);
          }
        default: // swap case of a range
          byte[] out = in.clone();
          for (int i = pos; i < Math.min(n, pos + len); i++) {
            byte b = out[i];
            if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
              out[i] = (byte) (b ^ 0x20);
            }
          }
          return out;
      }
    }
  }

  /** Up to {@code max} edits, drawing inserted tokens from {@code tokens}. */
  static Arbitrary<List<Edit>> edits(int max, List<String> tokens) {
    Arbitrary<byte[]> token =
        Arbitraries.oneOf(
            Arbitraries.of(tokens).map(t -> t.getBytes(StandardCharsets.UTF_8)),
            Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8));
    Arbitrary<Byte> value =
        Arbitraries.oneOf(
            Arbitraries.bytes(),
            Arbitraries.of(
                (byte) '\r',
                (byte) '\n',
                (byte) 0,
                (byte) ' ',
                (byte) '\t',
                (byte) ':',
                (byte) ';',
                (byte) ',',
                (byte) '"',
                (byte) '\\',
                (byte) '{',
                (byte) '}',
                (byte) '[',
                (byte) ']',
                (byte) '%',
                (byte) '/',
                (byte) '?',
                (byte) '#',
                (byte) 0x7f,
                (byte) 0x80,
                (byte) 0xff,
                (byte) '0',
                (byte) '9',
                (byte) '-'));
    return Combinators.combine(
            Arbitraries.integers().between(0, 6),
            Arbitraries.doubles().between(0, 1),
            Arbitraries.doubles().between(0, 1),
            value,
            token)
        .as(Edit::new)
        .list()
        .ofMaxSize(max);
  }

  static byte[] apply(byte[] input, List<Edit> edits) {
    byte[] out = input;
    for (Edit e : edits) {
      out = e.apply(out);
    }
    return out;
  }

  private static byte[] slice(byte[] in, int from, int to) {
    byte[] out = new byte[Math.max(0, to - from)];
    System.arraycopy(in, from, out, 0, out.length);
    return out;
  }

  static byte[] concat(byte[]... parts) {
    List<byte[]> list = new ArrayList<>(List.of(parts));
    int n = list.stream().mapToInt(p -> p.length).sum();
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : list) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
