package dev.ferry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.ferry.engine.spi.EngineException;

import static dev.ferry.engine.spi.EngineException.Reason.ENGINE_HOME_INVALID;
import static java.util.Objects.requireNonNull;

/**
 * The folder an engine is loaded from: {@code lib/} holds its jars, {@code scripts/metastore/upgrade/{mysql,postgres}}
 * Hive's schema scripts, taken from Hive's binary distribution at build time.
 */
public record EngineHome(Path path)
{
    public EngineHome
    {
        requireNonNull(path, "path is null");
        path = path.toAbsolutePath().normalize();
    }

    /** Checks that the folder looks like an engine home, naming what is missing. */
    public static EngineHome of(Path path)
    {
        EngineHome home = new EngineHome(path);
        if (!Files.isDirectory(home.path())) {
            throw new EngineException(ENGINE_HOME_INVALID, "engine home %s does not exist".formatted(home.path()));
        }
        if (home.jars().isEmpty()) {
            throw new EngineException(ENGINE_HOME_INVALID, "engine home %s has no jars in lib/".formatted(home.path()));
        }
        for (String dbType : List.of("mysql", "postgres")) {
            if (!Files.isDirectory(home.schemaScripts(dbType))) {
                throw new EngineException(ENGINE_HOME_INVALID,
                        "engine home %s has no schema scripts in %s".formatted(home.path(), home.schemaScripts(dbType)));
            }
        }
        return home;
    }

    public Path schemaScripts(String dbType)
    {
        return path.resolve("scripts/metastore/upgrade").resolve(dbType);
    }

    List<Path> jars()
    {
        Path lib = path.resolve("lib");
        if (!Files.isDirectory(lib)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(lib)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URL[] jarUrls()
    {
        return jars().stream().map(EngineHome::toUrl).toArray(URL[]::new);
    }

    private static URL toUrl(Path jar)
    {
        try {
            return jar.toUri().toURL();
        }
        catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
