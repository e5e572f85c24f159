package io.couponflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputTest {
  private final StringWriter text = new StringWriter();

  @Test
  void table_forPeople_alignsColumnsUnderUpperCaseHeaders() {
    new Output(new PrintWriter(text), false)
        .table(
            List.of(
                Output.fields("id", 7L, "name", "fifty off"),
                Output.fields("id", 42L, "name", null)),
            List.of("id", "name"));

    assertThat(text.toString()).isEqualTo("ID  NAME\n7   fifty off\n42  -\n");
  }

  @Test
  void document_forMachines_writesNestedObjectsAndLists() {
    Output output = new Output(new PrintWriter(text), true);

    output.document(
        Output.fields(
            "checked",
            2L,
            "ok",
            false,
            "coupons",
            List.of(Output.fields("id", 1L, "drifts", List.of("a", "b"))),
            "redis",
            null));
    output.say("not for machines");

    assertThat(text.toString())
        .isEqualTo(
            "{\"checked\":2,\"ok\":false,\"coupons\":[{\"id\":1,\"drifts\":[\"a\",\"b\"]}],"
                + "\"redis\":null}\n");
  }

  @Test
  void document_forPeople_printsNothing() {
    new Output(new PrintWriter(text), false).document(Output.fields("checked", 2L));

    assertThat(text.toString()).isEmpty();
  }
}
