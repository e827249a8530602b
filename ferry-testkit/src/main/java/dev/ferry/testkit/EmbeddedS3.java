package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * An S3-compatible server for tests: Adobe S3Mock (its executable jar, from Maven Central, copied by the module's
 * build) run as a separate process on a free loopback port, holding its objects under a directory, with one bucket
 * made at start. Stopped, and its directory removed, on close.
 */
public final class EmbeddedS3
        implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private final Process process;
    private final Path work;
    private final int port;
    private final String bucket;

    private EmbeddedS3(Process process, Path work, int port, String bucket)
    {
        this.process = process;
        this.work = work;
        this.port = port;
        this.bucket = bucket;
    }

    /** Starts S3Mock from {@code jar} with the bucket {@code bucket}, and waits until it accepts connections. */
    public static EmbeddedS3 start(Path jar, String bucket)
    {
        requireNonNull(jar, "jar is null");
        requireNonNull(bucket, "bucket is null");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no S3Mock jar at %s: the module's build copies it there (maven-dependency-plugin, execution s3mock)".formatted(jar));
        }
        int port = FreePorts.next();
        Path work;
        Process process;
        try {
            work = Files.createTempDirectory("ferry-s3-");
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toAbsolutePath().toString(),
                    "--com.adobe.testing.s3mock.httpPort=" + port,
                    "--server.port=" + FreePorts.next(),
                    "--com.adobe.testing.s3mock.domain.initialBuckets=" + bucket,
                    "--com.adobe.testing.s3mock.domain.root=" + work.resolve("objects"),
                    "--spring.main.banner-mode=off")
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("s3mock.log").toFile())
                    .start();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot start S3Mock from " + jar, e);
        }
        EmbeddedS3 s3 = new EmbeddedS3(process, work, port, bucket);
        try {
            s3.awaitPort();
        }
        catch (RuntimeException e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    private void awaitPort()
    {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Mock exited with %s before it listened: %s".formatted(process.exitValue(), logTail()));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                return;
            }
            catch (IOException notYet) {
                try {
                    Thread.sleep(200);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while S3Mock started", e);
                }
            }
        }
        throw new IllegalStateException("S3Mock did not listen on port %s within %s: %s".formatted(port, START_TIMEOUT, logTail()));
    }

    private String logTail()
    {
        try {
            List<String> lines = Files.readAllLines(work.resolve("s3mock.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }
        catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** {@code http://127.0.0.1:port}: path-style, any access key, region us-east-1. */
    public String endpoint()
    {
        return "http://127.0.0.1:" + port;
    }

    public String bucket()
    {
        return bucket;
    }

    /** The process, so that a test can stop or pause it (an object store that fails). */
    public Process process()
    {
        return process;
    }

    @Override
    public void close()
    {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        TempDirectories.deleteRecursively(work);
    }
}
