package io.couponflow.ops;

import picocli.CommandLine.Option;

/** The {@code --json} option every command that prints takes. */
final class JsonOption {
  @Option(names = "--json", description = "Print JSON for machines instead of a table.")
  boolean json;
}
