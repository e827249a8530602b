package dev.ferry.engine.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Entry point of an engine implementation, found with {@link java.util.ServiceLoader} in the engine's
 * classloader. Only JDK types and the HMS Thrift API cross this interface.
 */
public interface EngineRuntimeFactory
{
    /** The Hive version the engine implements, such as {@code 4.0.1}. */
    String hiveVersion();

    /** The metastore schema version this engine expects in its database, such as {@code 4.0.0}. */
    String schemaVersion();

    /**
     * The schema version recorded in the database, or empty when it has no metastore schema.
     *
     * @throws EngineException with {@link EngineException.Reason#DATABASE_UNREACHABLE} when it cannot connect
     */
    Optional<String> databaseSchemaVersion(EngineSettings settings);

    /** Creates the metastore schema in an empty database with Hive's own schema tool and scripts. */
    void initializeSchema(EngineSettings settings, Path engineHome);

    /**
     * Upgrades the metastore schema of a database from an older version to {@link #schemaVersion()} with Hive's own
     * schema tool and upgrade scripts ({@code schematool -upgradeSchemaFrom}).
     *
     * @throws EngineException when this engine's Hive cannot upgrade from that version, or the tool fails
     */
    default void upgradeSchema(EngineSettings settings, Path engineHome, String fromVersion)
    {
        throw new EngineException(EngineException.Reason.SCHEMA_VERSION_UNSUPPORTED,
                "the engine of Hive %s does not upgrade metastore schemas (asked to upgrade %s from %s)".formatted(hiveVersion(), settings.jdbcUrl(), fromVersion));
    }

    /**
     * Starts an engine on a database whose schema version equals {@link #schemaVersion()}.
     *
     * @throws EngineException naming both versions when they differ
     */
    EngineRuntime start(EngineSettings settings);

    /**
     * The keys, of those an operator passes through to the engine, that neither this Hive version nor the Hadoop it
     * ships knows, each with a hint when a known key is close. They are passed on all the same (a Hive plug-in may
     * read its own keys); Ferry warns about them. An engine that cannot tell answers no key.
     */
    default List<UnknownSetting> unknownSettings(Set<String> keys)
    {
        return List.of();
    }

    /**
     * A key the engine does not know.
     *
     * @param key the key as given
     * @param closest the known key nearest to it, or empty
     */
    record UnknownSetting(String key, String closest)
    {
        public UnknownSetting
        {
            java.util.Objects.requireNonNull(key, "key is null");
            java.util.Objects.requireNonNull(closest, "closest is null");
        }
    }
}
