package dev.ferry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A home for Hive's schema tool holding only the engine home's {@code scripts/metastore/upgrade}, with the line
 * {@code SET search_path = public, pg_catalog;} left out of the PostgreSQL schema scripts. Hive's PostgreSQL
 * schema scripts begin with it, so the tool would create the metastore in schema {@code public} whatever schema the
 * URL's {@code currentSchema} names; on this copy the tables go where the URL says. Everything else is Hive's
 * scripts as shipped. Deleted on {@link #close()}, or when the JVM exits first: a process stopped while the schema
 * tool runs (SIGTERM to {@code ferry serve} or {@code ferry demo}) ends with its shutdown hooks, and the thread that
 * runs the tool never reaches {@code close()} (a stopped demo left one in CI's {@code java.io.tmpdir}).
 */
final class SchemaScriptsHome
        implements AutoCloseable
{
    private static final Pattern PUBLIC_SEARCH_PATH = Pattern.compile("(?im)^\\s*SET\\s+search_path\\s*=\\s*public\\s*,\\s*pg_catalog\\s*;\\s*$");

    /**
     * Copies are made, closed and deleted at exit under this lock: the exit hook runs beside the process's other
     * shutdown work (a demo stopping Ferry takes seconds), during which another thread (a standby engine's rehearsal)
     * could otherwise make a copy after the hook, or write into one the hook is deleting.
     */
    private static final Object LOCK = new Object();
    /** The copies not yet closed, deleted by one shutdown hook if the JVM exits first. */
    private static final Set<Path> OPEN = new HashSet<>();
    private static boolean exitHook;
    private static boolean exiting;

    private final Path path;

    private SchemaScriptsHome(Path path)
    {
        this.path = path;
    }

    /** Whether the URL names the PostgreSQL schema (search path) to work in. */
    static boolean namesSchema(String jdbcUrl)
    {
        return jdbcUrl.startsWith("jdbc:postgresql:") && jdbcUrl.contains("currentSchema=");
    }

    static SchemaScriptsHome of(EngineHome home)
    {
        synchronized (LOCK) {
            if (exiting) {
                throw new IllegalStateException("the JVM is exiting: Hive's schema scripts of " + home.path() + " are not copied");
            }
            if (!exitHook) {
                Runtime.getRuntime().addShutdownHook(new Thread(SchemaScriptsHome::deleteOpenCopies, "ferry-schema-scripts-cleanup"));
                exitHook = true;
            }
            Path path;
            try {
                path = Files.createTempDirectory("ferry-schema-scripts-");
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for Hive's schema scripts", e);
            }
            OPEN.add(path);
            SchemaScriptsHome scripts = new SchemaScriptsHome(path);
            try {
                copy(home.upgradeScripts(), path.resolve("scripts/metastore/upgrade"));
                return scripts;
            }
            catch (IOException | RuntimeException e) {
                try {
                    scripts.close();
                }
                catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                if (e instanceof IOException io) {
                    throw new UncheckedIOException("cannot copy Hive's schema scripts of " + home.path(), io);
                }
                throw (RuntimeException) e;
            }
        }
    }

    private static void copy(Path source, Path target)
            throws IOException
    {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                }
                else if (file.getFileName().toString().matches("hive-schema-.*\\.postgres\\.sql")) {
                    Files.writeString(copy, PUBLIC_SEARCH_PATH.matcher(Files.readString(file, StandardCharsets.UTF_8)).replaceAll(""), StandardCharsets.UTF_8);
                }
                else {
                    Files.copy(file, copy);
                }
            }
        }
    }

    Path path()
    {
        return path;
    }

    @Override
    public void close()
    {
        synchronized (LOCK) {
            delete(path);
            OPEN.remove(path);
        }
    }

    private static void deleteOpenCopies()
    {
        synchronized (LOCK) {
            exiting = true;
            for (Path open : OPEN) {
                try {
                    delete(open);
                }
                catch (UncheckedIOException e) {
                    // The JVM is exiting: what cannot be deleted now stays, as it would without the hook.
                }
            }
        }
    }

    private static void delete(Path path)
    {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            List<Path> all = files.sorted(Comparator.reverseOrder()).toList();
            for (Path file : all) {
                Files.deleteIfExists(file);
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
