package dev.ferry.upgrade;

/**
 * Hive's schema tool, run by the caller with the engine of the right Hive version, against the own database with a
 * search path ({@link PostgresDatabase#jdbcUrlWithSearchPath}) that names the PostgreSQL schema to work in.
 */
public interface SchemaTool
{
    /** Creates the metastore schema of this version, with Hive's scripts, in an empty PostgreSQL schema. */
    void initialize(String schemaVersion, String searchPath);

    /** Upgrades the metastore schema in the PostgreSQL schema from one version to another with Hive's upgrade scripts. */
    void upgrade(String fromVersion, String toVersion, String searchPath);
}
