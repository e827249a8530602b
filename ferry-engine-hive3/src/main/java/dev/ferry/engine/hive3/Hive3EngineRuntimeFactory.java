package dev.ferry.engine.hive3;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Optional;
import java.util.Properties;

import dev.ferry.engine.spi.DatabaseType;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.EngineRuntimeFactory;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.StandardStreams;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.MetaStoreSchemaInfoFactory;
import org.apache.hadoop.hive.metastore.tools.MetastoreSchemaTool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.DATABASE_UNREACHABLE;
import static dev.ferry.engine.spi.EngineException.Reason.INTERNAL;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_MISSING;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_MISMATCH;

/** Apache Hive Metastore 3.1.3, loaded in its own classloader with its own Thrift API. */
public final class Hive3EngineRuntimeFactory
        implements EngineRuntimeFactory
{
    static final String HIVE_VERSION = "3.1.3";
    private static final Logger log = LoggerFactory.getLogger(Hive3EngineRuntimeFactory.class);

    @Override
    public String hiveVersion()
    {
        return HIVE_VERSION;
    }

    @Override
    public String schemaVersion()
    {
        return MetaStoreSchemaInfoFactory.get(new Configuration(false), ".", null).getHiveSchemaVersion();
    }

    @Override
    public Optional<String> databaseSchemaVersion(EngineSettings settings)
    {
        try {
            return databaseSchemaVersionOrThrow(settings);
        }
        finally {
            JvmLeakPrevention.deregisterJdbcDrivers(getClass().getClassLoader());
        }
    }

    private static Optional<String> databaseSchemaVersionOrThrow(EngineSettings settings)
    {
        try (Connection connection = connect(settings);
                Statement statement = connection.createStatement()) {
            if (!hasVersionTable(connection, settings.databaseType())) {
                return Optional.empty();
            }
            String query = switch (settings.databaseType()) {
                case MYSQL -> "SELECT SCHEMA_VERSION FROM VERSION";
                case POSTGRES -> "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"";
            };
            try (ResultSet rows = statement.executeQuery(query)) {
                return rows.next() ? Optional.ofNullable(rows.getString(1)) : Optional.empty();
            }
        }
        catch (SQLException e) {
            throw new EngineException(INTERNAL, "cannot read the metastore schema version of %s: %s"
                    .formatted(settings.jdbcUrl(), e.getMessage()), e);
        }
    }

    private static boolean hasVersionTable(Connection connection, DatabaseType type)
            throws SQLException
    {
        String catalog = connection.getCatalog();
        String schema = type == DatabaseType.POSTGRES ? connection.getSchema() : null;
        try (ResultSet tables = connection.getMetaData().getTables(catalog, schema, "VERSION", new String[] {"TABLE"})) {
            return tables.next();
        }
    }

    /** Opens a connection with the engine's own driver, reporting an unreachable database as such. */
    static Connection connect(EngineSettings settings)
    {
        Driver driver;
        try {
            driver = (Driver) Class.forName(settings.databaseType().driverClass(), true,
                    Hive3EngineRuntimeFactory.class.getClassLoader()).getDeclaredConstructor().newInstance();
        }
        catch (ReflectiveOperationException e) {
            throw new EngineException(INTERNAL, "cannot load JDBC driver " + settings.databaseType().driverClass(), e);
        }
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("password", settings.password());
        try {
            Connection connection = driver.connect(settings.jdbcUrl(), properties);
            if (connection == null) {
                throw new EngineException(DATABASE_UNREACHABLE, "no JDBC driver accepts " + settings.jdbcUrl());
            }
            return connection;
        }
        catch (SQLException e) {
            throw new EngineException(DATABASE_UNREACHABLE,
                    "cannot connect to %s as %s: %s".formatted(settings.jdbcUrl(), settings.user(), e.getMessage()), e);
        }
    }

    @Override
    public void initializeSchema(EngineSettings settings, Path engineHome)
    {
        String[] arguments = {
                "-dbType", settings.databaseType().schemaToolName(),
                "-initSchema",
                "-url", MetastoreConfigurations.jdbcUrl(settings),
                "-driver", settings.databaseType().driverClass(),
                "-userName", settings.user(),
                "-passWord", settings.password(),
        };
        // The schema tool and the sqlline it runs print every statement of the script to standard output; keep
        // that out of Ferry's output and show it only on failure.
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        int exitCode;
        try {
            // Hive 3.1's tool finds its scripts under this static home (or METASTORE_HOME).
            MetastoreSchemaTool.homeDir = engineHome.toString();
            exitCode = StandardStreams.capturedInto(console, () -> MetastoreSchemaTool.run(arguments));
        }
        catch (RuntimeException e) {
            throw new EngineException(INTERNAL, "Hive's schema tool failed to initialise %s: %s%s"
                    .formatted(settings.jdbcUrl(), rootMessage(e), lastLines(console)), e);
        }
        finally {
            log.debug("Schema tool output:\n{}", console.toString(StandardCharsets.UTF_8));
            JvmLeakPrevention.releaseAll(getClass().getClassLoader());
        }
        if (exitCode != 0) {
            throw new EngineException(INTERNAL, "Hive's schema tool exited with %s initialising %s%s"
                    .formatted(exitCode, settings.jdbcUrl(), lastLines(console)));
        }
    }

    @Override
    public EngineRuntime start(EngineSettings settings)
    {
        String expected = schemaVersion();
        String found = databaseSchemaVersionOrThrow(settings).orElseThrow(() -> new EngineException(SCHEMA_MISSING,
                "database %s has no Hive metastore schema (no VERSION table or row); Hive %s needs schema %s"
                        .formatted(settings.jdbcUrl(), HIVE_VERSION, expected)));
        if (!found.equals(expected)) {
            throw new EngineException(SCHEMA_VERSION_MISMATCH,
                    "database %s has metastore schema version %s, but Hive %s needs schema version %s"
                            .formatted(settings.jdbcUrl(), found, HIVE_VERSION, expected));
        }
        return Hive3EngineRuntime.start(settings, found);
    }

    private static String lastLines(ByteArrayOutputStream console)
    {
        String[] lines = console.toString(StandardCharsets.UTF_8).strip().split("\n");
        int from = Math.max(0, lines.length - 5);
        return lines.length == 0 || lines[0].isEmpty() ? "" : "; it printed: " + String.join(" | ", Arrays.copyOfRange(lines, from, lines.length));
    }

    static String rootMessage(Throwable throwable)
    {
        Throwable cause = throwable;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }
}
