package dev.ferry.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.awaitility.Awaitility.await;

/**
 * The PostgreSQL processes of one data directory, and only those: a postmaster and every process it forks change
 * into the data directory, so {@code /proc/PID/cwd} tells them apart from the other PostgreSQL servers on this
 * machine. Linux only.
 */
final class PostgresProcesses
{
    private PostgresProcesses() {}

    /** Every live process whose working directory is the given data directory. */
    static List<ProcessHandle> runningIn(Path dataDirectory)
    {
        Path directory = realPath(dataDirectory);
        return ProcessHandle.allProcesses()
                .filter(process -> workingDirectory(process.pid()).map(directory::equals).orElse(false))
                .toList();
    }

    /** The PID on the first line of {@code postmaster.pid}, if the file is there. */
    static OptionalLong postmasterPid(Path dataDirectory)
    {
        Path file = dataDirectory.resolve("postmaster.pid");
        try {
            return OptionalLong.of(Long.parseLong(Files.readAllLines(file, StandardCharsets.US_ASCII).get(0).strip()));
        }
        catch (IOException | IndexOutOfBoundsException e) {
            return OptionalLong.empty();
        }
    }

    /** Stops what a failed test left running on the data directory: a smart shutdown first, then SIGKILL. */
    static void stopAll(Path dataDirectory)
    {
        List<ProcessHandle> left = runningIn(dataDirectory);
        if (left.isEmpty()) {
            return;
        }
        postmasterPid(dataDirectory).stream().mapToObj(ProcessHandle::of).flatMap(Optional::stream)
                .filter(left::contains)
                .forEach(ProcessHandle::destroy);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> runningIn(dataDirectory).isEmpty());
        }
        catch (RuntimeException timeout) {
            runningIn(dataDirectory).forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static Optional<Path> workingDirectory(long pid)
    {
        try {
            return Optional.of(Path.of("/proc", Long.toString(pid), "cwd").toRealPath());
        }
        catch (IOException | SecurityException e) {
            // Gone, or another user's process: not one of ours.
            return Optional.empty();
        }
    }

    private static Path realPath(Path directory)
    {
        try {
            return directory.toRealPath();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
