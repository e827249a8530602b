package dev.ferry.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

import dev.ferry.engine.spi.EngineException;

import static dev.ferry.engine.spi.EngineException.Reason.ENGINE_HOME_INVALID;
import static java.util.Objects.requireNonNull;

/**
 * The folder an engine is loaded from: {@code lib/} holds its jars, {@code scripts/metastore/upgrade/{mysql,postgres}}
 * Hive's schema scripts, taken from Hive's binary distribution at build time, and {@value #DESCRIPTOR} says which
 * Hive version it runs, which metastore schema version that version uses, and whether the engine shares Ferry's HMS
 * Thrift API classes ({@link ThriftApi}). A home without a descriptor is taken as Hive 4.0.1 sharing the API, as
 * engine homes were before there were others.
 *
 * @param path the folder
 * @param hiveVersion the Hive version of the engine, such as {@code 3.1.3}
 * @param schemaVersion the metastore schema version the engine runs on, such as {@code 3.1.0}
 * @param thriftApi whether the engine's classloader shares Ferry's HMS Thrift API classes
 */
public record EngineHome(Path path, String hiveVersion, String schemaVersion, ThriftApi thriftApi)
{
    public static final String DESCRIPTOR = "ferry-engine.properties";

    /** How Ferry and an engine exchange HMS calls. */
    public enum ThriftApi
    {
        /** The engine is built against Ferry's own HMS Thrift API (Hive 4.0.1): structs cross as objects. */
        SHARED,
        /** The engine carries its own Thrift API and library (an older Hive): calls cross as serialized messages. */
        OWN,
    }

    public EngineHome
    {
        requireNonNull(path, "path is null");
        requireNonNull(hiveVersion, "hiveVersion is null");
        requireNonNull(schemaVersion, "schemaVersion is null");
        requireNonNull(thriftApi, "thriftApi is null");
        path = path.toAbsolutePath().normalize();
    }

    public EngineHome(Path path)
    {
        this(path, "4.0.1", "4.0.0", ThriftApi.SHARED);
    }

    /** Checks that the folder looks like an engine home, naming what is missing, and reads its descriptor. */
    public static EngineHome of(Path path)
    {
        Path folder = path.toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new EngineException(ENGINE_HOME_INVALID, "engine home %s does not exist".formatted(folder));
        }
        EngineHome home = describe(folder);
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

    /** Whether the folder holds an engine home's descriptor. */
    public static boolean isEngineHome(Path path)
    {
        return Files.isRegularFile(path.resolve(DESCRIPTOR));
    }

    private static EngineHome describe(Path folder)
    {
        Path descriptor = folder.resolve(DESCRIPTOR);
        if (!Files.exists(descriptor)) {
            return new EngineHome(folder);
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(descriptor)) {
            properties.load(in);
        }
        catch (IOException e) {
            throw new EngineException(ENGINE_HOME_INVALID, "cannot read %s: %s".formatted(descriptor, e.getMessage()), e);
        }
        String thriftApi = required(properties, descriptor, "thrift.api");
        ThriftApi api;
        try {
            api = ThriftApi.valueOf(thriftApi.toUpperCase(Locale.ROOT));
        }
        catch (IllegalArgumentException e) {
            throw new EngineException(ENGINE_HOME_INVALID, "%s: thrift.api is '%s', expected shared or own".formatted(descriptor, thriftApi));
        }
        return new EngineHome(folder, required(properties, descriptor, "hive.version"), required(properties, descriptor, "schema.version"), api);
    }

    private static String required(Properties properties, Path descriptor, String key)
    {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new EngineException(ENGINE_HOME_INVALID, "%s has no %s".formatted(descriptor, key));
        }
        return value.strip();
    }

    /** The Hive release line, such as {@code 3.1} for Hive 3.1.3: what {@code engine.version} names. */
    public String hiveLine()
    {
        String[] parts = hiveVersion.split("\\.");
        return parts.length < 2 ? hiveVersion : parts[0] + "." + parts[1];
    }

    public Path schemaScripts(String dbType)
    {
        return path.resolve("scripts/metastore/upgrade").resolve(dbType);
    }

    /** Hive's {@code scripts/metastore/upgrade}: the schema scripts of every database type. */
    public Path upgradeScripts()
    {
        return path.resolve("scripts/metastore/upgrade");
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
