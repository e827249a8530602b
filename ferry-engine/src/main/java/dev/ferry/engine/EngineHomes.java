package dev.ferry.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.ferry.engine.spi.EngineException;

import static dev.ferry.engine.spi.EngineException.Reason.ENGINE_HOME_INVALID;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_UNSUPPORTED;
import static java.util.Objects.requireNonNull;

/**
 * The engines of one Ferry, one home per Hive version, found as the engine homes in one folder (the distribution's
 * {@code lib/engine/}). Picks the engine for a metastore schema version (a migration's source) or for a Hive release
 * line ({@code engine.version}).
 */
public final class EngineHomes
{
    private final Map<String, EngineHost> bySchemaVersion;

    private EngineHomes(List<EngineHome> homes)
    {
        Map<String, EngineHost> hosts = new LinkedHashMap<>();
        for (EngineHome home : homes.stream().sorted(Comparator.comparing(EngineHome::schemaVersion)).toList()) {
            EngineHost previous = hosts.put(home.schemaVersion(), new EngineHost(home));
            if (previous != null) {
                throw new EngineException(ENGINE_HOME_INVALID, "engine homes %s and %s both run metastore schema %s"
                        .formatted(previous.home().path(), home.path(), home.schemaVersion()));
            }
        }
        if (hosts.isEmpty()) {
            throw new EngineException(ENGINE_HOME_INVALID, "no engine home given");
        }
        this.bySchemaVersion = Map.copyOf(hosts);
    }

    public static EngineHomes of(List<EngineHome> homes)
    {
        return new EngineHomes(List.copyOf(homes));
    }

    /** The given engine home and every other engine home in the same folder. */
    public static EngineHomes around(Path home)
    {
        List<EngineHome> homes = new ArrayList<>();
        EngineHome given = EngineHome.of(home);
        homes.add(given);
        Path folder = given.path().getParent();
        if (folder != null) {
            try (Stream<Path> entries = Files.list(folder)) {
                for (Path entry : entries.sorted().toList()) {
                    if (!entry.equals(given.path()) && EngineHome.isEngineHome(entry)) {
                        homes.add(EngineHome.of(entry));
                    }
                }
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return of(homes);
    }

    /** The engine that runs this metastore schema version. */
    public EngineHost forSchemaVersion(String schemaVersion)
    {
        requireNonNull(schemaVersion, "schemaVersion is null");
        EngineHost host = bySchemaVersion.get(schemaVersion);
        if (host == null) {
            throw new EngineException(SCHEMA_VERSION_UNSUPPORTED, "Ferry has no engine for Hive metastore schema version %s; it runs %s"
                    .formatted(schemaVersion, supported()));
        }
        return host;
    }

    /** The engine of a Hive release line such as {@code 3.1} or {@code 4.0}, or of an exact Hive version. */
    public EngineHost forHiveVersion(String version)
    {
        requireNonNull(version, "version is null");
        for (EngineHost host : bySchemaVersion.values()) {
            if (host.home().hiveLine().equals(version) || host.home().hiveVersion().equals(version)) {
                return host;
            }
        }
        throw new EngineException(SCHEMA_VERSION_UNSUPPORTED, "Ferry has no engine for Hive %s; it runs %s".formatted(version, supported()));
    }

    /** Whether an engine runs this schema version. */
    public boolean supportsSchemaVersion(String schemaVersion)
    {
        return bySchemaVersion.containsKey(schemaVersion);
    }

    /** The schema versions of the engines, in order. */
    public List<String> schemaVersions()
    {
        return bySchemaVersion.keySet().stream().sorted().toList();
    }

    /** Human-readable: "schema 3.1.0 (Hive 3.1.3), schema 4.0.0 (Hive 4.0.1)". */
    public String supported()
    {
        return bySchemaVersion.values().stream()
                .map(EngineHost::home)
                .sorted(Comparator.comparing(EngineHome::schemaVersion))
                .map(home -> "schema %s (Hive %s)".formatted(home.schemaVersion(), home.hiveVersion()))
                .collect(Collectors.joining(", "));
    }
}
