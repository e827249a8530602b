package dev.ferry.engine.spi;

import java.nio.file.Path;
import java.util.Optional;

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
     * Starts an engine on a database whose schema version equals {@link #schemaVersion()}.
     *
     * @throws EngineException naming both versions when they differ
     */
    EngineRuntime start(EngineSettings settings);
}
