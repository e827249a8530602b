package dev.ferry.engine.spi;

import java.nio.file.Path;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What an engine needs to bind to one metastore database. Crosses the classloader boundary, so it holds JDK
 * types only.
 *
 * @param name a name for logs and thread names, unique among live engines
 * @param jdbcUrl the metastore database; its scheme picks the database type
 * @param user database user
 * @param password database password; never logged
 * @param warehouseDirectory the default location of managed tables
 * @param backgroundTasks whether to run the metastore's housekeeping tasks (a standalone HMS runs them; Ferry
 *     does not by default, so two engines never compete for the same database's housekeeping)
 * @param notificationLog whether every metadata change also writes an event to the metastore's notification log
 *     ({@code NOTIFICATION_LOG}), as Hive's {@code DbNotificationListener} does; Hive, Impala and Hive replication
 *     read it, so Ferry writes it by default
 * @param overrides extra Hive metastore configuration keys, applied last
 */
public record EngineSettings(
        String name,
        String jdbcUrl,
        String user,
        String password,
        Path warehouseDirectory,
        BackgroundTasks backgroundTasks,
        NotificationLog notificationLog,
        Map<String, String> overrides)
{
    public enum BackgroundTasks
    {
        OFF,
        ON,
    }

    public enum NotificationLog
    {
        OFF,
        ON,
    }

    public EngineSettings
    {
        requireNonNull(name, "name is null");
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(warehouseDirectory, "warehouseDirectory is null");
        requireNonNull(backgroundTasks, "backgroundTasks is null");
        requireNonNull(notificationLog, "notificationLog is null");
        overrides = Map.copyOf(requireNonNull(overrides, "overrides is null"));
        DatabaseType.fromJdbcUrl(jdbcUrl);
    }

    public DatabaseType databaseType()
    {
        return DatabaseType.fromJdbcUrl(jdbcUrl);
    }

    @Override
    public String toString()
    {
        return "EngineSettings[name=%s, jdbcUrl=%s, user=%s, warehouseDirectory=%s, backgroundTasks=%s, notificationLog=%s]"
                .formatted(name, jdbcUrl, user, warehouseDirectory, backgroundTasks, notificationLog);
    }
}
