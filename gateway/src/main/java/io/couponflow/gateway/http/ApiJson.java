package io.couponflow.gateway.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Ids;
import io.couponflow.model.Redemption;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The API's JSON, read strictly and written compactly with Jackson's streaming API: no object
 * mapping on the request path. Reading refuses duplicate keys, unknown and missing fields, wrong
 * types (no coercion: {@code "42"} and {@code 42.0} are not integers), trailing content, deep
 * nesting and long strings or numbers.
 */
final class ApiJson {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(8)
                  .maxStringLength(1024)
                  .maxNumberLength(24)
                  .maxNameLength(64)
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  private ApiJson() {}

  /** The body of {@code POST /v1/redemptions}, before the Idempotency-Key joins it. */
  record RedeemBody(long couponId, String userId, String orderId, long orderAmountCents) {
    RedeemRequest withKey(String idempotencyKey) {
      return new RedeemRequest(couponId, idempotencyKey, userId, orderId, orderAmountCents);
    }
  }

  static RedeemBody parseRedeem(byte[] body) throws ApiException {
    Long couponId = null;
    String userId = null;
    String orderId = null;
    Long amount = null;
    requireUtf8(body);
    try (JsonParser p = FACTORY.createParser(body)) {
      expectObjectStart(p);
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "couponId" -> couponId = integer(p, value, "couponId", 1, Long.MAX_VALUE);
          case "userId" -> userId = idText(p, value, "userId");
          case "orderId" -> orderId = idText(p, value, "orderId");
          case "orderAmountCents" ->
              amount = integer(p, value, "orderAmountCents", 0, RedeemRequest.MAX_AMOUNT_CENTS);
          default -> throw invalid("unknown field '" + field + "'");
        }
      }
      expectEnd(p);
    } catch (JsonProcessingException e) {
      throw invalid("body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (couponId == null) {
      throw invalid("missing field 'couponId'");
    }
    if (userId == null) {
      throw invalid("missing field 'userId'");
    }
    if (orderId == null) {
      throw invalid("missing field 'orderId'");
    }
    if (amount == null) {
      throw invalid("missing field 'orderAmountCents'");
    }
    return new RedeemBody(couponId, userId, orderId, amount);
  }

  /** The optional body of a reversal: {@code {"reason": "..."}}, or empty for no reason. */
  static String parseReversal(byte[] body) throws ApiException {
    if (body.length == 0) {
      return "";
    }
    String reason = "";
    requireUtf8(body);
    try (JsonParser p = FACTORY.createParser(body)) {
      expectObjectStart(p);
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (!"reason".equals(field)) {
          throw invalid("unknown field '" + field + "'");
        }
        if (value != JsonToken.VALUE_STRING) {
          throw invalid("reason: must be a string");
        }
        reason = p.getText();
        // Characters, not UTF-16 units: 256 emoji are 256 characters (MySQL's VARCHAR(256) in
        // utf8mb4 counts the same way). A lone surrogate is no character at all.
        if (reason.codePointCount(0, reason.length()) > Redemption.MAX_REASON_LENGTH) {
          throw invalid("reason: at most " + Redemption.MAX_REASON_LENGTH + " characters");
        }
        for (int i = 0; i < reason.length(); i++) {
          char c = reason.charAt(i);
          if (Character.isHighSurrogate(c)
              && i + 1 < reason.length()
              && Character.isLowSurrogate(reason.charAt(i + 1))) {
            i++;
          } else if (Character.isSurrogate(c) || c == 0) {
            throw invalid("reason: must be valid Unicode text without NUL");
          }
        }
      }
      expectEnd(p);
    } catch (JsonProcessingException e) {
      throw invalid("body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return reason;
  }

  /**
   * Refuses bodies in UTF-16 or UTF-32, which Jackson would otherwise detect and read: the API
   * speaks UTF-8 only. A JSON text starts with an ASCII character, so a NUL among its first four
   * bytes or a UTF-16 byte order mark gives those encodings away.
   */
  private static void requireUtf8(byte[] body) throws ApiException {
    if (body.length >= 2
        && ((body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
            || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE))) {
      throw invalid("body must be UTF-8");
    }
    for (int i = 0; i < Math.min(4, body.length); i++) {
      if (body[i] == 0) {
        throw invalid("body must be UTF-8");
      }
    }
  }

  private static void expectObjectStart(JsonParser p) throws IOException, ApiException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw invalid("body must be a JSON object");
    }
  }

  private static void expectEnd(JsonParser p) throws IOException, ApiException {
    if (p.nextToken() != null) {
      throw invalid("body has content after the JSON object");
    }
  }

  private static long integer(JsonParser p, JsonToken token, String field, long min, long max)
      throws IOException, ApiException {
    if (token == JsonToken.VALUE_NUMBER_INT
        && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      long value = p.getLongValue();
      if (value >= min && value <= max) {
        return value;
      }
    }
    throw invalid(field + ": must be an integer " + min + ".." + max);
  }

  private static String idText(JsonParser p, JsonToken token, String field)
      throws IOException, ApiException {
    if (token != JsonToken.VALUE_STRING) {
      throw invalid(field + ": must be a string");
    }
    String value = p.getText();
    if (!Ids.isId(value)) {
      throw invalid(field + ": must be " + Ids.ID_RULE);
    }
    return value;
  }

  private static ApiException invalid(String message) {
    return new ApiException(ApiError.INVALID_REQUEST, message);
  }

  static ByteBuf redemption(ByteBufAllocator alloc, Redemption r) {
    return write(
        alloc,
        g -> {
          g.writeStartObject();
          g.writeStringField("redemptionId", r.redemptionId().toString());
          g.writeNumberField("couponId", r.couponId());
          g.writeStringField("userId", r.userId());
          g.writeStringField("orderId", r.orderId());
          g.writeNumberField("orderAmountCents", r.orderAmountCents());
          g.writeNumberField("discountCents", r.discountCents());
          g.writeStringField("status", r.status().name());
          g.writeStringField("acceptedAt", iso(r.acceptedAt()));
          g.writeFieldName("reversedAt");
          if (r.reversedAt() == null) {
            g.writeNull();
          } else {
            g.writeString(iso(r.reversedAt()));
          }
          g.writeEndObject();
        });
  }

  static ByteBuf coupon(ByteBufAllocator alloc, LiveCoupon c) {
    return write(
        alloc,
        g -> {
          g.writeStartObject();
          g.writeNumberField("couponId", c.couponId());
          g.writeStringField("name", c.definition().name());
          g.writeNumberField("totalStock", c.definition().totalStock());
          g.writeNumberField("remainingStock", c.stock());
          g.writeNumberField("perUserLimit", c.definition().perUserLimit());
          g.writeNumberField("thresholdCents", c.definition().thresholdCents());
          g.writeNumberField("discountCents", c.definition().discountCents());
          g.writeStringField("startsAt", iso(c.definition().startsAt()));
          g.writeStringField("endsAt", iso(c.definition().endsAt()));
          g.writeStringField("status", c.definition().status().name());
          g.writeEndObject();
        });
  }

  static ByteBuf error(ByteBufAllocator alloc, ApiError error, String message) {
    return write(
        alloc,
        g -> {
          g.writeStartObject();
          g.writeObjectFieldStart("error");
          g.writeStringField("code", error.name());
          g.writeStringField("message", message);
          g.writeEndObject();
          g.writeEndObject();
        });
  }

  static String iso(Instant instant) {
    return instant.toString();
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static ByteBuf write(ByteBufAllocator alloc, Body body) {
    ByteBuf buf = alloc.buffer(256);
    try (JsonGenerator g =
        FACTORY.createGenerator(
            (java.io.OutputStream) new ByteBufOutputStream(buf), JsonEncoding.UTF8)) {
      body.write(g);
    } catch (IOException e) {
      buf.release();
      throw new UncheckedIOException(e);
    }
    return buf;
  }
}
