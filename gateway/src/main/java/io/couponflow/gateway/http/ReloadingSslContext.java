package io.couponflow.gateway.http;

import io.couponflow.config.ConfigException;
import io.couponflow.gateway.security.TlsFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's TLS context, read from its PEM files and read again when they change: each new
 * connection gets an {@link SslHandler} of the context current when it was accepted; a connection
 * keeps its own until it closes, so a rotation drops nothing in flight.
 *
 * <p>Reloading: every {@link #POLL} the watcher thread reads the files (certificate chain, key,
 * client CAs) and hashes them. Files that differ from the loaded ones are taken once they have
 * stayed the same for one more poll (a rotation that writes the certificate and then the key is
 * read whole, not halfway). They are parsed and checked (the key must be the certificate's), a new
 * context is built, and it replaces the current one. Files that fail are logged at ERROR once per
 * content, without any of it, and the current context goes on serving.
 *
 * <p>Provider: OpenSSL (BoringSSL, netty-tcnative) when its native library loads here, else the
 * JDK's; {@code -Dcouponflow.tls.provider=jdk} forces the JDK's.
 *
 * <p>Thread-safety: {@link #newHandler} may be called from any thread (event loops); {@link
 * #reloadIfChanged} from one thread at a time (the watcher, or a test).
 */
public final class ReloadingSslContext implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);

  /** How often the files are read. */
  public static final Duration POLL = Duration.ofSeconds(1);

  private static final long MAX_FILE_BYTES = 1 << 20;

  /** What is being served, and from which file contents. */
  private record Loaded(
      SslContext context,
      List<X509Certificate> chain,
      List<X509Certificate> clientCas,
      byte[] digest) {}

  private final String name;
  private final TlsFiles files;
  private final SslProvider provider;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private ScheduledExecutorService watcher;
  private Counter reloaded;
  private Counter refused;

  // The watcher's own state.
  private byte[] seenLastPoll;
  private byte[] refusedDigest;

  private ReloadingSslContext(String name, TlsFiles files, SslProvider provider) {
    this.name = name;
    this.files = files;
    this.provider = provider;
  }

  /**
   * Reads the files and builds the first context.
   *
   * @param name what it serves, for logs and metrics ({@code api}, {@code management})
   * @throws ConfigException naming the variable of the file that cannot be used
   */
  public static ReloadingSslContext load(String name, TlsFiles files) {
    return load(name, files, provider());
  }

  /** {@link #load(String, TlsFiles)} by the given provider. */
  static ReloadingSslContext load(String name, TlsFiles files, SslProvider provider) {
    ReloadingSslContext tls = new ReloadingSslContext(name, files, provider);
    byte[][] contents = tls.read();
    try {
      tls.current.set(tls.build(contents));
    } catch (Refusal e) {
      throw new ConfigException(e.getMessage());
    }
    return tls;
  }

  /** OpenSSL when netty-tcnative loads, unless {@code couponflow.tls.provider=jdk}; else JDK. */
  static SslProvider provider() {
    String wanted = System.getProperty("couponflow.tls.provider", "");
    if (wanted.equalsIgnoreCase("jdk")) {
      return SslProvider.JDK;
    }
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  /** The provider in words, for the start log. */
  public String providerDescription() {
    if (provider == SslProvider.OPENSSL) {
      return "OpenSSL (" + OpenSsl.versionString() + ", netty-tcnative)";
    }
    String why =
        System.getProperty("couponflow.tls.provider", "").equalsIgnoreCase("jdk")
            ? "couponflow.tls.provider=jdk"
            : "netty-tcnative unavailable: " + OpenSsl.unavailabilityCause();
    return "JDK (" + why + ")";
  }

  /** Whether clients must present a certificate signed by one of the client CAs. */
  public boolean requiresClientCertificates() {
    return files.requiresClientCertificates();
  }

  /** A handler for a new connection, of the context current now. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    return current.get().context().newHandler(alloc);
  }

  /** The certificate being served to new connections. */
  public X509Certificate certificate() {
    return current.get().chain().get(0);
  }

  /** One line on what is served: certificate, expiry, client CAs. No secret in it. */
  public String describe() {
    Loaded now = current.get();
    X509Certificate leaf = now.chain().get(0);
    String clients =
        now.clientCas().isEmpty()
            ? "no client certificates asked for"
            : "client certificates required, signed by "
                + now.clientCas().stream()
                    .map(c -> c.getSubjectX500Principal().getName())
                    .collect(Collectors.joining(" | "));
    return "certificate '"
        + leaf.getSubjectX500Principal().getName()
        + "' serial "
        + leaf.getSerialNumber().toString(16)
        + " valid until "
        + leaf.getNotAfter().toInstant()
        + ", "
        + clients;
  }

  /**
   * Publishes {@code couponflow_tls_certificate_not_after_seconds} (when the served certificate
   * expires) and {@code couponflow_tls_reloads_total{result}}, tagged {@code port} with the name.
   */
  public ReloadingSslContext bindTo(MeterRegistry registry) {
    Gauge.builder(
            "couponflow.tls.certificate.not.after",
            this,
            t -> t.certificate().getNotAfter().getTime() / 1000.0)
        .description("When the certificate served to new connections expires (Unix time)")
        .baseUnit("seconds")
        .tag("port", name)
        .register(registry);
    reloaded = reloads(registry, "reloaded");
    refused = reloads(registry, "refused");
    return this;
  }

  private Counter reloads(MeterRegistry registry, String result) {
    return Counter.builder("couponflow.tls.reloads")
        .description("Changed certificate files taken (reloaded) or refused, keeping the old ones")
        .tag("port", name)
        .tag("result", result)
        .register(registry);
  }

  /** Starts reading the files every {@code every} on a daemon thread of its own. */
  public void startWatching(Duration every) {
    watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "couponflow-tls-" + name);
              t.setDaemon(true);
              return t;
            });
    watcher.scheduleWithFixedDelay(
        () -> {
          try {
            reloadIfChanged();
          } catch (RuntimeException e) {
            log.error("Checking the {} TLS files failed: {}", name, e.toString());
          }
        },
        every.toMillis(),
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * One poll: reads the files, and when they changed and have stayed the same since the poll
   * before, builds and swaps in a new context.
   *
   * @return whether the context was replaced
   */
  boolean reloadIfChanged() {
    byte[][] contents;
    byte[] digest;
    try {
      contents = read();
      digest = digest(contents);
    } catch (ConfigException e) {
      // A file being replaced may be missing for a moment; refuse only what stays that way.
      digest = ("unreadable " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
      contents = null;
    }
    Loaded loaded = current.get();
    if (Arrays.equals(digest, loaded.digest())) {
      seenLastPoll = digest;
      return false;
    }
    boolean stable = Arrays.equals(digest, seenLastPoll);
    seenLastPoll = digest;
    if (!stable || Arrays.equals(digest, refusedDigest)) {
      return false;
    }
    try {
      if (contents == null) {
        contents = read();
      }
      Loaded next = build(contents);
      current.set(next);
      refusedDigest = null;
      count(reloaded);
      log.info("Reloaded the {} TLS files: new connections get {}", name, describe());
      return true;
    } catch (ConfigException | Refusal e) {
      refusedDigest = digest;
      count(refused);
      log.error(
          "The changed {} TLS files cannot be used, so new connections still get the certificate"
              + " with serial {}: {}",
          name,
          loaded.chain().get(0).getSerialNumber().toString(16),
          e.getMessage());
      return false;
    }
  }

  private static void count(Counter counter) {
    if (counter != null) {
      counter.increment();
    }
  }

  /** A file's contents that cannot be used; the message names its variable and path. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    Refusal(String message) {
      super(message);
    }
  }

  /** The certificate chain, the key and the client CAs (null when none), as bytes. */
  private byte[][] read() {
    return new byte[][] {
      read(files.certificateFile(), files.certificateVariable()),
      read(files.keyFile(), files.keyVariable()),
      files.clientCaFile().map(p -> read(p, files.clientCaVariable())).orElse(null)
    };
  }

  private static byte[] read(Path file, String variable) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new ConfigException(
            variable + ": " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(
          variable + ": " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static byte[] digest(byte[][] contents) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (byte[] content : contents) {
        if (content != null) {
          sha.update(content);
        }
        sha.update((byte) 0);
      }
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Loaded build(byte[][] contents) throws Refusal {
    List<X509Certificate> chain =
        certificates(contents[0], files.certificateVariable(), files.certificateFile());
    PrivateKey key;
    try {
      key = Pem.privateKey(contents[1], chain.get(0).getPublicKey());
    } catch (Pem.BadPemException e) {
      throw new Refusal(files.keyVariable() + ": " + files.keyFile() + " " + e.getMessage());
    }
    if (!Pem.matches(key, chain.get(0).getPublicKey())) {
      throw new Refusal(
          files.keyVariable()
              + ": "
              + files.keyFile()
              + " is not the key of the certificate in "
              + files.certificateVariable()
              + " ("
              + files.certificateFile()
              + ")");
    }
    List<X509Certificate> clientCas =
        contents[2] == null
            ? List.of()
            : certificates(
                contents[2], files.clientCaVariable(), files.clientCaFile().orElseThrow());
    try {
      SslContextBuilder builder =
          SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
              .sslProvider(provider);
      if (!clientCas.isEmpty()) {
        builder
            .trustManager(clientCas.toArray(X509Certificate[]::new))
            .clientAuth(ClientAuth.REQUIRE);
      }
      return new Loaded(builder.build(), chain, clientCas, digest(contents));
    } catch (SSLException | RuntimeException e) {
      throw new Refusal(
          files.certificateVariable()
              + ": "
              + files.certificateFile()
              + " with its key cannot make a TLS context ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  private static List<X509Certificate> certificates(byte[] pem, String variable, Path file)
      throws Refusal {
    try {
      return Pem.certificates(pem);
    } catch (Pem.BadPemException e) {
      throw new Refusal(variable + ": " + file + " " + e.getMessage());
    }
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
  }
}
