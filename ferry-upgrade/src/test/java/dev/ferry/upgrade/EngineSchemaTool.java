package dev.ferry.upgrade;

import java.nio.file.Path;
import java.util.Map;

import dev.ferry.engine.EngineHomes;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;

/** Hive's schema tool of the engine homes the build unpacked, on a test's own database. */
final class EngineSchemaTool
        implements SchemaTool
{
    private final EngineHomes homes;
    private final PostgresDatabase database;
    private final Path warehouse;

    EngineSchemaTool(PostgresDatabase database, Path warehouse)
    {
        this.homes = homes();
        this.database = database;
        this.warehouse = warehouse;
    }

    static EngineHomes homes()
    {
        return EngineHomes.around(Path.of(System.getProperty("ferry.engine.home")));
    }

    static Path upgradeScripts(String schemaVersion)
    {
        return homes().forSchemaVersion(schemaVersion).home().upgradeScripts();
    }

    EngineSettings settings(String name, String searchPath)
    {
        String url = searchPath.isEmpty() ? database.jdbcUrl() : database.jdbcUrlWithSearchPath(searchPath);
        return new EngineSettings(name, url, database.user(), database.password(), warehouse, EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of());
    }

    EngineHost host(String schemaVersion)
    {
        return homes.forSchemaVersion(schemaVersion);
    }

    @Override
    public void initialize(String schemaVersion, String searchPath)
    {
        homes.forSchemaVersion(schemaVersion).initializeSchema(settings("schema-tool", searchPath));
    }

    @Override
    public void upgrade(String fromVersion, String toVersion, String searchPath)
    {
        homes.forSchemaVersion(toVersion).upgradeSchema(settings("schema-tool", searchPath), fromVersion);
    }
}
