package dev.ferry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A home for Hive's schema tool holding only the engine home's {@code scripts/metastore/upgrade}, with the line
 * {@code SET search_path = public, pg_catalog;} left out of the PostgreSQL schema scripts. Hive's PostgreSQL
 * schema scripts begin with it, so the tool would create the metastore in schema {@code public} whatever schema the
 * URL's {@code currentSchema} names; on this copy the tables go where the URL says. Everything else is Hive's
 * scripts as shipped. Deleted on {@link #close()}.
 */
final class SchemaScriptsHome
        implements AutoCloseable
{
    private static final Pattern PUBLIC_SEARCH_PATH = Pattern.compile("(?im)^\\s*SET\\s+search_path\\s*=\\s*public\\s*,\\s*pg_catalog\\s*;\\s*$");

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
        try {
            Path path = Files.createTempDirectory("ferry-schema-scripts-");
            Path source = home.upgradeScripts();
            Path target = path.resolve("scripts/metastore/upgrade");
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
            return new SchemaScriptsHome(path);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot copy Hive's schema scripts of " + home.path(), e);
        }
    }

    Path path()
    {
        return path;
    }

    @Override
    public void close()
    {
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
