package dev.ferry.hivetests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * A server run as a separate process with its output in files: Ferry, Ferry's MariaDB test launcher, a plain Hive
 * Metastore. Stops it, and every process it started, on close.
 */
public final class ServerProcess
        implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    /** How the process is asked to stop cleanly. */
    public enum Stop
    {
        /** SIGTERM: ferry serve and HMS shut down on it. */
        TERMINATE,
        /** Ferry's MariaDB test launcher stops when its standard input ends. */
        END_OF_INPUT,
    }

    private final String description;
    private final Stop stop;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ServerProcess(String description, Stop stop, Process process, Path stdout, Path stderr)
    {
        this.description = requireNonNull(description, "description is null");
        this.stop = requireNonNull(stop, "stop is null");
        this.process = requireNonNull(process, "process is null");
        this.stdout = requireNonNull(stdout, "stdout is null");
        this.stderr = requireNonNull(stderr, "stderr is null");
    }

    public static ServerProcess start(String description, Stop stop, List<String> command, Map<String, String> environment, Path work)
    {
        try {
            Files.createDirectories(work);
            Path stdout = Files.createTempFile(work, "process-", ".out");
            Path stderr = Files.createTempFile(work, "process-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().putAll(environment);
            // Standard input stays a pipe: the MariaDB launcher stops when it ends, including when this JVM dies.
            return new ServerProcess(description, stop, builder.start(), stdout, stderr);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot start " + description, e);
        }
    }

    /**
     * The client compiler only, for every JVM of this suite (the metastores and the runs of Hive's tests, the plain
     * ones as Ferry's): four JVMs at once on CI's 2 cores (eight with the live baseline), whose C2 compilations
     * otherwise compete with the work. It changes how fast the JVMs get there, not what they do. With it the JVM reserves 48 MB for compiled code
     * instead of 240 MB, too little for a JVM that loads Hive engines (a test JVM ran out: "Out of space in CodeCache"),
     * so the 240 MB are asked for.
     */
    public static final String CLIENT_COMPILER = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m";

    public static String java()
    {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The command that runs java with the client compiler options and then the arguments. */
    public static List<String> javaCommand(String... arguments)
    {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(List.of(CLIENT_COMPILER.split(" ")));
        command.addAll(List.of(arguments));
        return command;
    }

    /** Waits until a line of standard output starts with the prefix, and returns the rest of that line. */
    String awaitLine(String prefix)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> line = stdout().lines().filter(candidate -> candidate.startsWith(prefix)).findFirst();
            if (line.isPresent()) {
                return line.get().substring(prefix.length()).strip();
            }
            failIfExited();
            Thread.sleep(200);
        }
        throw new IllegalStateException("%s printed no line starting with '%s' within %s; stdout: %s".formatted(description, prefix, START_TIMEOUT, tail(stdout())));
    }

    /** Waits until the port on the loopback interface accepts connections. */
    public void awaitPort(int port)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            failIfExited();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                return;
            }
            catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("%s did not listen on port %s within %s; stdout: %s".formatted(description, port, START_TIMEOUT, tail(stdout())));
    }

    private void failIfExited()
    {
        if (!process.isAlive()) {
            throw new IllegalStateException("%s exited with %s before it was ready; stderr: %s; stdout: %s"
                    .formatted(description, process.exitValue(), tail(stderr()), tail(stdout())));
        }
    }

    public String stdout()
    {
        return read(stdout);
    }

    String stderr()
    {
        return read(stderr);
    }

    long pid()
    {
        return process.pid();
    }

    private static String tail(String text)
    {
        return text.length() <= 4_000 ? text : "..." + text.substring(text.length() - 4_000);
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

    /** Asks the process to stop and waits; after a minute forces it, and whatever it started, to end. */
    @Override
    public void close()
    {
        List<ProcessHandle> descendants = process.descendants().toList();
        switch (stop) {
            case TERMINATE -> process.destroy();
            case END_OF_INPUT -> {
                try {
                    process.getOutputStream().close();
                }
                catch (IOException e) {
                    process.destroy();
                }
            }
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

    @Override
    public String toString()
    {
        return description;
    }
}
