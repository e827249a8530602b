package dev.ferry.engine.hive2;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import dev.ferry.engine.spi.DatabaseType;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.EngineRuntimeFactory;
import dev.ferry.engine.spi.EngineSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.DATABASE_UNREACHABLE;
import static dev.ferry.engine.spi.EngineException.Reason.INTERNAL;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_MISSING;
import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_VERSION_MISMATCH;

/**
 * Apache Hive Metastore 2.3.10, loaded in its own classloader with its own Thrift API. Its schema (2.3.0) is built
 * from Hive's own scripts as shipped in the Hive 3.1.3 distribution: {@code hive-schema-1.2.0} followed by the
 * upgrade scripts 1.2.0 to 2.0.0, 2.1.0, 2.2.0 and 2.3.0 (no Maven Central artifact carries a
 * {@code hive-schema-2.3.0} script), run by this engine statement by statement over JDBC.
 */
public final class Hive2EngineRuntimeFactory
        implements EngineRuntimeFactory
{
    static final String HIVE_VERSION = "2.3.10";
    static final String SCHEMA_VERSION = "2.3.0";
    /** Hive's scripts that build schema 2.3.0, in order, without the database type and {@code .sql}. */
    static final List<String> SCHEMA_SCRIPTS = List.of("hive-schema-1.2.0", "upgrade-1.2.0-to-2.0.0",
            "upgrade-2.0.0-to-2.1.0", "upgrade-2.1.0-to-2.2.0", "upgrade-2.2.0-to-2.3.0");
    private static final Logger log = LoggerFactory.getLogger(Hive2EngineRuntimeFactory.class);

    @Override
    public String hiveVersion()
    {
        return HIVE_VERSION;
    }

    @Override
    public String schemaVersion()
    {
        return SCHEMA_VERSION;
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
            try (ResultSet rows = statement.executeQuery(versionQuery(settings.databaseType()))) {
                return rows.next() ? Optional.ofNullable(rows.getString(1)) : Optional.empty();
            }
        }
        catch (SQLException e) {
            throw new EngineException(INTERNAL, "cannot read the metastore schema version of %s: %s"
                    .formatted(settings.jdbcUrl(), e.getMessage()), e);
        }
    }

    private static String versionQuery(DatabaseType type)
    {
        return switch (type) {
            case MYSQL -> "SELECT SCHEMA_VERSION FROM VERSION";
            case POSTGRES -> "SELECT \"SCHEMA_VERSION\" FROM \"VERSION\"";
        };
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
                    Hive2EngineRuntimeFactory.class.getClassLoader()).getDeclaredConstructor().newInstance();
        }
        catch (ReflectiveOperationException e) {
            throw new EngineException(INTERNAL, "cannot load JDBC driver " + settings.databaseType().driverClass(), e);
        }
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("password", settings.password());
        String url = MetastoreConfigurations.jdbcUrl(settings);
        try {
            Connection connection = driver.connect(url, properties);
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

    /**
     * Runs Hive's scripts for schema 2.3.0 ({@link #SCHEMA_SCRIPTS}) from the engine home, each statement as Hive's
     * schema tool hands it to its SQL shell: comment lines dropped, statements ending at a semicolon at the end of a
     * line. Hive 2.3's own schema tool is in hive-beeline, which this engine does not carry.
     */
    @Override
    public void initializeSchema(EngineSettings settings, Path engineHome)
    {
        String dbType = settings.databaseType().schemaToolName();
        Path scripts = engineHome.resolve("scripts/metastore/upgrade").resolve(dbType);
        String current = "";
        int statements = 0;
        try (Connection connection = connect(settings);
                Statement statement = connection.createStatement()) {
            for (String name : SCHEMA_SCRIPTS) {
                current = name + "." + dbType + ".sql";
                for (String sql : statements(scripts.resolve(current))) {
                    statement.execute(sql);
                    statements++;
                }
            }
            current = "";
            try (ResultSet rows = statement.executeQuery(versionQuery(settings.databaseType()))) {
                String found = rows.next() ? rows.getString(1) : null;
                if (!SCHEMA_VERSION.equals(found)) {
                    throw new EngineException(INTERNAL, "Hive's scripts left schema version %s in %s, expected %s"
                            .formatted(found, settings.jdbcUrl(), SCHEMA_VERSION));
                }
            }
        }
        catch (SQLException e) {
            throw new EngineException(INTERNAL, "Hive's schema script %s failed on %s after %s statements: %s"
                    .formatted(current, settings.jdbcUrl(), statements, e.getMessage()), e);
        }
        catch (IOException e) {
            throw new EngineException(INTERNAL, "cannot read Hive's schema script %s in %s: %s".formatted(current, scripts, e.getMessage()), e);
        }
        finally {
            JvmLeakPrevention.deregisterJdbcDrivers(getClass().getClassLoader());
        }
        log.debug("Ran {} statements of Hive's scripts for schema {} on {}", statements, SCHEMA_VERSION, settings.jdbcUrl());
    }

    static List<String> statements(Path script)
            throws IOException
    {
        StringBuilder text = new StringBuilder();
        for (String line : Files.readAllLines(script, StandardCharsets.UTF_8)) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            text.append(line).append('\n');
        }
        List<String> statements = new ArrayList<>();
        for (String sql : text.toString().split(";\\s*\n")) {
            if (!sql.isBlank()) {
                statements.add(sql.strip());
            }
        }
        return statements;
    }

    @Override
    public EngineRuntime start(EngineSettings settings)
    {
        String found = databaseSchemaVersionOrThrow(settings).orElseThrow(() -> new EngineException(SCHEMA_MISSING,
                "database %s has no Hive metastore schema (no VERSION table or row); Hive %s needs schema %s"
                        .formatted(settings.jdbcUrl(), HIVE_VERSION, SCHEMA_VERSION)));
        if (!found.equals(SCHEMA_VERSION)) {
            throw new EngineException(SCHEMA_VERSION_MISMATCH,
                    "database %s has metastore schema version %s, but Hive %s needs schema version %s"
                            .formatted(settings.jdbcUrl(), found, HIVE_VERSION, SCHEMA_VERSION));
        }
        return Hive2EngineRuntime.start(settings, found);
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
