package dev.ferry.control;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.ferry.engine.Engine;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.upgrade.SchemaTool;

/**
 * Starts the engines the control plane points the front at, one Hive version per metastore schema version: each
 * database is served by the engine of the schema version it records. Each engine returned is warmed: its first call
 * made.
 */
public interface Engines
{
    /** An engine on the own database, of its schema version; the schema is created first if missing. */
    Engine startOwn();

    /**
     * {@link #startOwn()}, for an engine that will serve the own database only after a cutover: it may first be
     * taken through its write paths on a scratch copy of the schema (ServerEngines).
     */
    default Engine startOwnStandby()
    {
        return startOwn();
    }

    /** An engine on a migration's source database, of the schema version the source records. */
    Engine startSource(SourceDatabase source);

    OwnDatabaseTarget ownDatabase();

    /** The metastore schema version the own database records now. */
    String ownSchemaVersion();

    /** Whether an engine of this Ferry runs the metastore schema version. */
    boolean supportsSchemaVersion(String schemaVersion);

    /** The schema versions Ferry runs, with their Hive versions, for messages: "3.1.0 (Hive 3.1.3), ...". */
    String supportedSchemaVersions();

    /** Hive's {@code scripts/metastore/upgrade} of the engine of a supported schema version. */
    Path upgradeScripts(String schemaVersion);

    /**
     * Gives the own database the schema of this version, by initialising it anew with Hive's schema tool, when it
     * records another one. Only for an own database that holds no metadata (the preconditions checked it) and on
     * which no engine runs; does nothing when the version is already the one recorded.
     *
     * @return the version the own database had before, when it changed
     */
    Optional<String> reinitializeOwnSchema(String schemaVersion);

    /** The schema versions Ferry runs, oldest first. */
    List<String> schemaVersions();

    /** The Hive version (such as 4.0.1) of the engine that runs a supported schema version. */
    String hiveVersion(String schemaVersion);

    /** The schema version of the engine of a Hive release line ({@code 4.0}) or exact version ({@code 4.0.1}), if Ferry has one. */
    Optional<String> schemaVersionOfHive(String hiveVersion);

    /**
     * Hive's schema tool on the own database, run by the engine of the version asked for, in the PostgreSQL schema
     * its search path names.
     */
    SchemaTool ownSchemaTool();

    /**
     * An engine of a supported schema version on the own database, reading the tables its search path names first
     * (an upgrade's copy, see dev.ferry.upgrade.MetastoreUpgrade#copySearchPath).
     */
    Engine startOwn(String schemaVersion, String searchPath);
}
