package dev.ferry.compat.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Ferry serving HMS clients from a separate process: {@code bin/ferry serve} of the built distribution (an engine on
 * Ferry's own embedded PostgreSQL), or ferry-dist's test launcher FrontOnMariaDbMain (the same front, router and
 * engine, on an embedded MariaDB). Ends the process and everything it started on close.
 */
public final class MetastoreProcess
        implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Set<Integer> handedOutPorts = new HashSet<>();
    private static final String LAUNCHER_READY = "ferry-test-front serving on thrift port ";

    /** How the process is asked to stop cleanly. */
    private enum Stop
    {
        /** {@code ferry serve} shuts down on SIGTERM. */
        TERMINATE,
        /** The MariaDB launcher stops when its standard input ends. */
        END_OF_INPUT,
    }

    private final String description;
    private final Stop stop;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final int thriftPort;

    private MetastoreProcess(String description, Stop stop, Process process, Path stdout, Path stderr, int thriftPort)
    {
        this.description = requireNonNull(description, "description is null");
        this.stop = requireNonNull(stop, "stop is null");
        this.process = requireNonNull(process, "process is null");
        this.stdout = stdout;
        this.stderr = stderr;
        this.thriftPort = thriftPort;
    }

    /** {@code ferry serve} with its defaults (embedded PostgreSQL own database) on loopback ports. */
    public static MetastoreProcess ferryServe(Path work)
            throws IOException, InterruptedException
    {
        return ferryServe(work, "4.0");
    }

    /** {@code ferry serve} on its defaults, with the engine of a Hive version ({@code engine.version}). */
    public static MetastoreProcess ferryServe(Path work, String engineVersion)
            throws IOException, InterruptedException
    {
        Path distribution = Path.of(requireNonNull(System.getProperty("ferry.distribution"), "ferry.distribution is not set"));
        Path launcher = distribution.resolve("bin/ferry");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing: build ferry-dist first (mvn package)");
        }
        int thriftPort = freePort();
        int httpPort = freePort();
        Path config = work.resolve("ferry.yaml");
        Files.writeString(config, """
                data-directory: %s
                thrift:
                  host: 127.0.0.1
                  port: %s
                http:
                  host: 127.0.0.1
                  port: %s
                engine:
                  version: "%s"
                """.formatted(work.resolve("ferry-data"), thriftPort, httpPort, engineVersion));
        MetastoreProcess ferry = start("ferry serve (own database: embedded PostgreSQL, Hive %s engine)".formatted(engineVersion), Stop.TERMINATE,
                List.of(launcher.toString(), "serve", "--config", config.toString()), work, thriftPort);
        try {
            ferry.awaitReady(httpPort);
            return ferry;
        }
        catch (RuntimeException e) {
            ferry.close();
            throw e;
        }
    }

    /** The test launcher of ferry-dist: front, router and a Hive 4.0.1 engine on an embedded MariaDB. */
    public static MetastoreProcess frontOnMariaDb(Path work)
            throws IOException, InterruptedException
    {
        Path classes = Path.of(requireNonNull(System.getProperty("ferry.test-launcher.classes"), "ferry.test-launcher.classes is not set"));
        Path classpathFile = Path.of(requireNonNull(System.getProperty("ferry.test-launcher.classpath"), "ferry.test-launcher.classpath is not set"));
        if (!Files.isRegularFile(classpathFile)) {
            throw new IllegalStateException(classpathFile + " is missing: build ferry-dist first (mvn verify runs it before this module)");
        }
        String classpath = classes + File.pathSeparator + Files.readString(classpathFile).strip();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Dferry.engine.home=" + requireNonNull(System.getProperty("ferry.engine.home"), "ferry.engine.home is not set"),
                "-cp", classpath,
                "dev.ferry.dist.FrontOnMariaDbMain");
        MetastoreProcess front = start("Ferry front over an engine on embedded MariaDB", Stop.END_OF_INPUT, command, work, 0);
        try {
            int port = front.awaitLauncherPort();
            return new MetastoreProcess(front.description, front.stop, front.process, front.stdout, front.stderr, port);
        }
        catch (RuntimeException e) {
            front.close();
            throw e;
        }
    }

    private static MetastoreProcess start(String description, Stop stop, List<String> command, Path work, int thriftPort)
            throws IOException
    {
        Files.createDirectories(work);
        Path stdout = Files.createTempFile(work, "metastore-", ".out");
        Path stderr = Files.createTempFile(work, "metastore-", ".err");
        // Standard input stays a pipe: the MariaDB launcher stops when it ends, including when this JVM dies.
        Process process = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        return new MetastoreProcess(description, stop, process, stdout, stderr, thriftPort);
    }

    private void awaitReady(int httpPort)
            throws InterruptedException
    {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            failIfExited();
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
        throw new IllegalStateException("%s was not ready within %s; stdout: %s".formatted(description, START_TIMEOUT, read(stdout)));
    }

    private int awaitLauncherPort()
            throws InterruptedException
    {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> ready = read(stdout).lines().filter(line -> line.startsWith(LAUNCHER_READY)).findFirst();
            if (ready.isPresent()) {
                return Integer.parseInt(ready.get().substring(LAUNCHER_READY.length()).strip());
            }
            failIfExited();
            Thread.sleep(200);
        }
        throw new IllegalStateException("%s was not ready within %s; stdout: %s".formatted(description, START_TIMEOUT, read(stdout)));
    }

    private void failIfExited()
    {
        if (!process.isAlive()) {
            throw new IllegalStateException("%s exited with %s before it was ready; stderr: %s; stdout: %s"
                    .formatted(description, process.exitValue(), read(stderr), read(stdout)));
        }
    }

    public int thriftPort()
    {
        return thriftPort;
    }

    public String metastoreUri()
    {
        return "thrift://127.0.0.1:" + thriftPort;
    }

    public String stdout()
    {
        return read(stdout);
    }

    /** Asks the process to stop and waits; after a minute forces it, and whatever it started, to end. */
    @Override
    public void close()
    {
        // The embedded databases run as child processes of their own; none may outlive the test.
        List<ProcessHandle> descendants = process.descendants().toList();
        switch (stop) {
            case TERMINATE -> process.destroy();
            case END_OF_INPUT -> closeInput();
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        for (ProcessHandle descendant : descendants) {
            descendant.destroyForcibly();
        }
    }

    private void closeInput()
    {
        try {
            process.getOutputStream().close();
        }
        catch (IOException e) {
            process.destroy();
        }
    }

    @Override
    public String toString()
    {
        return description;
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

    /**
     * A free loopback port, never the same twice in this JVM (the kernel may hand a just-released port out again): the
     * rule of the test kit's {@code FreePorts}, which this JDK-only module cannot use.
     */
    private static synchronized int freePort()
            throws IOException
    {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (handedOutPorts.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
        throw new IllegalStateException("no loopback port that was not handed out before, in 100 tries");
    }
}
