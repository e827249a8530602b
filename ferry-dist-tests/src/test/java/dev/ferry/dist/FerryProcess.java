package dev.ferry.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/** {@code bin/ferry} of the built distribution, run as a separate process, as an operator runs it. */
final class FerryProcess
        implements AutoCloseable
{
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private FerryProcess(Process process, Path stdout, Path stderr)
    {
        this.process = requireNonNull(process, "process is null");
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static Path launcher()
    {
        Path launcher = Path.of(requireNonNull(System.getProperty("ferry.distribution"), "ferry.distribution is not set")).resolve("bin/ferry");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing: build the distribution first (mvn package)");
        }
        return launcher;
    }

    /**
     * Writes {@code {work}/ferry.yaml}: data under {@code {work}/data}, Thrift and HTTP on the loopback interface on
     * the given ports, a migration's bucket anywhere under {@code work}.
     */
    static Path writeConfig(Path work, int thriftPort, int httpPort)
    {
        Path file = work.resolve("ferry.yaml");
        try {
            Files.writeString(file, """
                    data-directory: %s
                    thrift:
                      host: 127.0.0.1
                      port: %s
                    http:
                      host: 127.0.0.1
                      port: %s
                    migration:
                      staging-roots: ["%s"]
                    """.formatted(work.resolve("data"), thriftPort, httpPort, work.toAbsolutePath()));
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Starts {@code ferry ARGS} with its output in files under the given folder. */
    static FerryProcess start(Path workDirectory, String... arguments)
    {
        return start(workDirectory, java.util.Map.of(), arguments);
    }

    /**
     * JVM options of every process these tests start, ahead of the test's own FERRY_JAVA_OPTS: the client compiler
     * only and the serial collector. A Ferry process of these tests lives a minute or less and spends most of it
     * starting Hive engines (class loading, first calls), where C2 compilations and G1's concurrent threads took CPU
     * from the work on CI's 2 cores. Neither changes what Ferry does, only how fast the JVM gets there. The serial
     * collector has no concurrent cycle for bin/ferry's ExplicitGCInvokesConcurrent to start, so DataNucleus's
     * System.gc() at each engine's close is ignored instead of stopping the process for a full collection.
     */
    static final String TEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m -XX:+UseSerialGC -XX:+DisableExplicitGC";

    /** Like {@link #start(Path, String...)}, with more environment variables (such as FERRY_JAVA_OPTS). */
    static FerryProcess start(Path workDirectory, java.util.Map<String, String> environment, String... arguments)
    {
        java.util.Map<String, String> withOptions = new java.util.HashMap<>(environment);
        String inherited = System.getenv("FERRY_JAVA_OPTS");
        withOptions.merge("FERRY_JAVA_OPTS", inherited == null ? TEST_JVM_OPTIONS : TEST_JVM_OPTIONS + " " + inherited, (given, defaults) -> TEST_JVM_OPTIONS + " " + given);
        environment = withOptions;
        try {
            Files.createDirectories(workDirectory);
            Path stdout = Files.createTempFile(workDirectory, "ferry-", ".out");
            Path stderr = Files.createTempFile(workDirectory, "ferry-", ".err");
            List<String> command = new java.util.ArrayList<>();
            command.add(launcher().toString());
            command.addAll(List.of(arguments));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(environment);
            Process process = builder
                    .directory(workDirectory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            return new FerryProcess(process, stdout, stderr);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code /readyz} answers 200, or the process ends. */
    void awaitReady(int httpPort, Duration timeout)
            throws InterruptedException
    {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ferry exited with %s before it was ready; stderr: %s; stdout: %s"
                        .formatted(process.exitValue(), stderr(), stdout()));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:%s/readyz".formatted(httpPort)))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            }
            catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("ferry was not ready within %s; stdout: %s".formatted(timeout, stdout()));
    }

    /** Sends SIGTERM and waits for the exit code. */
    int terminate(Duration timeout)
            throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("ferry did not stop within %s of SIGTERM; stdout: %s".formatted(timeout, stdout()));
        }
        return process.exitValue();
    }

    /** The Ferry JVM itself: the launcher replaces its shell with {@code java}, so no wrapper stands in between. */
    ProcessHandle jvm()
    {
        String command = process.info().command().orElseThrow(() -> new IllegalStateException("no command for pid " + process.pid()));
        if (!Path.of(command).getFileName().toString().equals("java")) {
            throw new IllegalStateException("pid %s runs %s, not the Ferry JVM".formatted(process.pid(), command));
        }
        return process.toHandle();
    }

    /** The launched process: the launcher's shell at first, the Ferry JVM once it has replaced it. */
    ProcessHandle handle()
    {
        return process.toHandle();
    }

    /** Sends SIGKILL to the Ferry JVM, and nothing else, and waits until it is gone. */
    void killJvm(Duration timeout)
            throws InterruptedException
    {
        jvm().destroyForcibly();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("ferry pid %s did not die within %s of SIGKILL".formatted(process.pid(), timeout));
        }
    }

    int awaitExit(Duration timeout)
            throws InterruptedException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("ferry did not exit within %s; stdout: %s".formatted(timeout, stdout()));
        }
        return process.exitValue();
    }

    String stdout()
    {
        return read(stdout);
    }

    String stderr()
    {
        return read(stderr);
    }

    private static String read(Path file)
    {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close()
    {
        if (process.isAlive()) {
            // The embedded PostgreSQL runs as a child process tree of its own; take it down too.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
