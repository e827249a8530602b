package dev.ferry.server.owndb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.zonky.test.db.postgres.util.LinuxUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A PostgreSQL postmaster still running on Ferry's data directory although the Ferry process that started it is
 * gone, as after {@code kill -9} of Ferry: {@code pg_ctl} starts the postmaster in a session of its own, so it
 * outlives its parent and keeps {@code postmaster.pid}, the port and the shared memory.
 *
 * <p>The caller holds the data directory lock, so no live Ferry owns this postmaster. It is stopped only when it is
 * certainly ours: the PID in {@code postmaster.pid} is alive, runs a {@code postgres} executable, and its working
 * directory is this data directory (a postmaster changes into its data directory). Anything else is left alone
 * and left to PostgreSQL to judge. A fast shutdown rolls back what was in flight and checkpoints; what was
 * committed is on disk already (fsync and synchronous commit are on).
 */
final class LeftoverPostmaster
{
    static final String PID_FILE = "postmaster.pid";

    private static final Logger log = LoggerFactory.getLogger(LeftoverPostmaster.class);

    private final ProcessHandle process;
    private final Path executable;
    private final Path dataDirectory;

    private LeftoverPostmaster(ProcessHandle process, Path executable, Path dataDirectory)
    {
        this.process = requireNonNull(process, "process is null");
        this.executable = requireNonNull(executable, "executable is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
    }

    /** The postmaster running on the data directory, if {@code postmaster.pid} names one that is certainly ours. */
    static Optional<LeftoverPostmaster> find(Path dataDirectory)
    {
        Optional<Long> pid = pidInFile(dataDirectory.resolve(PID_FILE));
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid.get()).filter(ProcessHandle::isAlive);
        if (process.isEmpty() || process.get().pid() == ProcessHandle.current().pid()) {
            // A stale file: PostgreSQL itself recognises it as such and replaces it.
            return Optional.empty();
        }
        Optional<Path> executable = link(process.get(), "exe");
        Optional<Path> workingDirectory = link(process.get(), "cwd");
        Optional<Path> directory = realPath(dataDirectory);
        if (executable.isPresent() && executable.get().getFileName().toString().equals("postgres")
                && workingDirectory.isPresent() && workingDirectory.equals(directory)) {
            return Optional.of(new LeftoverPostmaster(process.get(), executable.get(), dataDirectory));
        }
        log.info("{} in {} names pid {}, which is not certainly a PostgreSQL on this directory (it runs {}); leaving it alone",
                PID_FILE, dataDirectory, pid.get(), process.get().info().command().orElse("an unknown command"));
        return Optional.empty();
    }

    long pid()
    {
        return process.pid();
    }

    /**
     * Stops the postmaster with {@code pg_ctl stop -m fast} from the binaries it runs, falling back to an immediate
     * shutdown (crash recovery at the next start, nothing committed lost) if the fast one does not finish in time.
     */
    void stop(Duration timeout)
    {
        log.info("Found PostgreSQL pid {} left running by a previous Ferry process on {}; stopping it", process.pid(), dataDirectory);
        long started = System.nanoTime();
        for (String mode : List.of("fast", "immediate")) {
            pgCtlStop(mode, timeout);
            if (awaitExit(timeout)) {
                log.info("PostgreSQL pid {} on {} stopped ({} shutdown) in {} ms", process.pid(), dataDirectory, mode,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            log.warn("PostgreSQL pid {} on {} did not stop within {} of a {} shutdown", process.pid(), dataDirectory, timeout, mode);
        }
        throw new IllegalStateException("PostgreSQL pid %s, left running on %s by a previous Ferry process, does not stop; stop it, then start Ferry again"
                .formatted(process.pid(), dataDirectory));
    }

    private void pgCtlStop(String mode, Duration timeout)
    {
        Path pgCtl = executable.resolveSibling("pg_ctl");
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            // As the embedded library runs its own pg_ctl: as root, which pg_ctl refuses, in a user namespace.
            command.addAll(List.of("unshare", "-U"));
        }
        command.addAll(List.of(pgCtl.toString(), "stop", "-D", dataDirectory.toString(), "-m", mode,
                "-w", "-t", Long.toString(Math.max(1, timeout.toSeconds()))));
        try {
            // pg_ctl writes a line or two: far less than a pipe holds, so it cannot block on its output.
            Process stop = new ProcessBuilder(command).redirectErrorStream(true).start();
            stop.getOutputStream().close();
            if (!stop.waitFor(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                stop.destroyForcibly();
                log.warn("{} did not return", String.join(" ", command));
            }
            else if (stop.exitValue() != 0) {
                log.warn("{} exited with {}: {}", String.join(" ", command), stop.exitValue(),
                        new String(stop.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        }
        catch (IOException e) {
            log.warn("Cannot run {}: {}", pgCtl, e.getMessage());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping PostgreSQL pid %s on %s".formatted(process.pid(), dataDirectory), e);
        }
    }

    private boolean awaitExit(Duration timeout)
    {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        }
        catch (TimeoutException e) {
            return false;
        }
        catch (ExecutionException e) {
            return !process.isAlive();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping PostgreSQL pid %s on %s".formatted(process.pid(), dataDirectory), e);
        }
    }

    private static Optional<Long> pidInFile(Path file)
    {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        }
        catch (NoSuchFileException e) {
            return Optional.empty();
        }
        catch (IOException | NumberFormatException e) {
            log.warn("Cannot read the pid in {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** {@code /proc/PID/exe} or {@code /proc/PID/cwd}; empty where there is no /proc, or it is not ours to read. */
    private static Optional<Path> link(ProcessHandle process, String name)
    {
        try {
            return Optional.of(Path.of("/proc", Long.toString(process.pid()), name).toRealPath());
        }
        catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> realPath(Path directory)
    {
        try {
            return Optional.of(directory.toRealPath());
        }
        catch (IOException e) {
            return Optional.empty();
        }
    }
}
