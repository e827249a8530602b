package dev.ferry.server.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

/**
 * A customer's metastore to migrate: an embedded MariaDB or MySQL (one of {@link SourceServers.Kind}) with the binlog
 * and grant tables on, Hive's schema made by its schema tool, filled through a real HMS engine, and two users with
 * passwords: {@value #USER} (the metastore's own login, all privileges on its database, which includes what Ferry's
 * reader needs) and {@value #CDC_USER} (replication privileges only). On MySQL 8 both authenticate with
 * caching_sha2_password.
 */
public final class SourceMetastore
        implements AutoCloseable
{
    public static final String DATABASE = "hms";
    public static final String USER = "hive";
    public static final String PASSWORD = "Hive-Pa55word-7f3a9c";
    public static final String CDC_USER = "ferry_cdc";
    public static final String CDC_PASSWORD = "Cdc-Pa55word-b81e44";
    /**
     * A reader that may read the metastore but not LOCK TABLES on it: a cutover cannot fence the source as this user.
     * On MySQL it has RELOAD instead, which backfill's snapshots then use.
     */
    public static final String NO_LOCK_USER = "ferry_nolock";
    public static final String NO_LOCK_PASSWORD = "Nolock-Pa55word-3c2d1e";

    private final SourceServer server;
    private final String url;
    private final EngineHost host;

    private SourceMetastore(SourceServer server, String url, EngineHost host)
    {
        this.server = server;
        this.url = url;
        this.host = host;
    }

    /** Another HMS engine on the source database: the customer's own metastore, still running. */
    public Engine engine()
            throws Exception
    {
        return host.start(settings(url));
    }

    /** A MariaDB source with {@code databases} databases of two tables with {@code partitions} partitions each. */
    public static SourceMetastore start(int databases, int partitions)
            throws Exception
    {
        return start(SourceServers.Kind.MARIADB_10_11, databases, partitions);
    }

    /** A source of this kind with {@code databases} databases of two tables with {@code partitions} partitions each. */
    public static SourceMetastore start(SourceServers.Kind kind, int databases, int partitions)
            throws Exception
    {
        return on(kind == SourceServers.Kind.MARIADB_10_11 ? EmbeddedMariaDb.builder().withGrantTables().start() : kind.start(), databases, partitions);
    }

    /** A Hive 3.1 metastore (schema 3.1.0, made and filled by Hive Metastore 3.1.3) of the same shape, on MariaDB. */
    public static SourceMetastore startHive31(int databases, int partitions)
            throws Exception
    {
        return startHive31(SourceServers.Kind.MARIADB_10_11, databases, partitions);
    }

    /** A Hive 3.1 metastore (schema 3.1.0, made and filled by Hive Metastore 3.1.3) of the same shape, on a server of this kind. */
    public static SourceMetastore startHive31(SourceServers.Kind kind, int databases, int partitions)
            throws Exception
    {
        return on(kind == SourceServers.Kind.MARIADB_10_11 ? EmbeddedMariaDb.builder().withGrantTables().start() : kind.start(), databases, partitions,
                new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home.hive3")))));
    }

    /** A Hive 2.3 metastore (schema 2.3.0, made and filled by Hive Metastore 2.3.10) of the same shape, on a server of this kind. */
    public static SourceMetastore startHive23(SourceServers.Kind kind, int databases, int partitions)
            throws Exception
    {
        return on(kind == SourceServers.Kind.MARIADB_10_11 ? EmbeddedMariaDb.builder().withGrantTables().start() : kind.start(), databases, partitions,
                new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home.hive2")))));
    }

    /** A source on a server the caller started (with grant tables); closing the source stops the server. */
    public static SourceMetastore on(SourceServer server, int databases, int partitions)
            throws Exception
    {
        return on(server, databases, partitions, host());
    }

    private static SourceMetastore on(SourceServer server, int databases, int partitions, EngineHost host)
            throws Exception
    {
        try {
            String url = server.createDatabase(DATABASE);
            boolean mariaDb = server instanceof EmbeddedMariaDb;
            try (Connection connection = server.connect(DATABASE); Statement statement = connection.createStatement()) {
                statement.execute("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(USER, PASSWORD));
                statement.execute("GRANT ALL ON %s.* TO %s@'%%'".formatted(DATABASE, USER));
                statement.execute("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(CDC_USER, CDC_PASSWORD));
                statement.execute("GRANT REPLICATION SLAVE, %s ON *.* TO %s@'%%'".formatted(mariaDb ? "BINLOG MONITOR" : "REPLICATION CLIENT", CDC_USER));
                statement.execute("GRANT SELECT ON %s.* TO %s@'%%'".formatted(DATABASE, CDC_USER));
                statement.execute("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(NO_LOCK_USER, NO_LOCK_PASSWORD));
                statement.execute("GRANT SELECT ON %s.* TO %s@'%%'".formatted(DATABASE, NO_LOCK_USER));
                if (!mariaDb) {
                    statement.execute("GRANT RELOAD ON *.* TO %s@'%%'".formatted(NO_LOCK_USER));
                }
            }
            EngineSettings settings = settings(url);
            host.initializeSchema(settings);
            try (Engine engine = host.start(settings)) {
                fill(engine.client(), databases, partitions);
            }
            return new SourceMetastore(server, url, host);
        }
        catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    /** The server the metastore database lives on. */
    public SourceServer server()
    {
        return server;
    }

    static EngineHost host()
    {
        return new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
    }

    private static EngineSettings settings(String url)
            throws Exception
    {
        return new EngineSettings("customer-hms", url, USER, PASSWORD, Files.createTempDirectory("ferry-warehouse-"), EngineSettings.BackgroundTasks.OFF,
                EngineSettings.NotificationLog.ON, Map.of());
    }

    private static void fill(ThriftHiveMetastore.Iface hms, int databases, int partitions)
            throws Exception
    {
        for (int d = 0; d < databases; d++) {
            String database = "sales_" + d;
            hms.create_database(HmsObjects.database(database));
            for (int t = 0; t < 2; t++) {
                Table table = HmsObjects.partitionedTable(database, "orders_" + t, List.of("day"));
                hms.create_table(table);
                List<Partition> list = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    list.add(HmsObjects.partition(table, List.of("2026-01-%04d".formatted(p))));
                }
                if (!list.isEmpty()) {
                    hms.add_partitions(list);
                }
            }
        }
    }

    public int port()
    {
        return server.port();
    }

    /** Runs SQL on the source as root. */
    public void execute(String sql)
            throws SQLException
    {
        try (Connection connection = server.connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** A single number the query returns on the source (read with SQL). */
    public long queryLong(String sql)
            throws SQLException
    {
        try (Connection connection = server.connect(DATABASE); Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Runs SQL statements on the source as root, in one session. */
    public void execute(List<String> statements)
            throws SQLException
    {
        try (Connection connection = server.connect(DATABASE); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** Whether the metastore database on the source has a Hive database of this name (read with SQL). */
    public boolean hasDatabase(String name)
            throws SQLException
    {
        try (Connection connection = server.connect(DATABASE);
                java.sql.PreparedStatement select = connection.prepareStatement("SELECT 1 FROM DBS WHERE NAME = ?")) {
            select.setString(1, name);
            try (java.sql.ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /**
     * The startMigration body as the Dataproc Metastore documentation writes it (snake_case field names), every
     * field set, pointing at this source.
     */
    public String startMigrationBody(String requestId, Path bucket)
    {
        return startMigrationBody(requestId, "file://" + bucket.toAbsolutePath());
    }

    /** {@link #startMigrationBody(String, Path)} with any bucket: a {@code file://} URI, a directory, an {@code s3://} bucket. */
    public String startMigrationBody(String requestId, String bucket)
    {
        return """
                {
                  "request_id": "%s",
                  "migration_execution": {
                    "cloud_sql_migration_config": {
                      "cloud_sql_connection_config": {
                        "instance_connection_name": "my-project/us-central1/hms-mysql",
                        "hive_database_name": "%s",
                        "ip_address": "127.0.0.1",
                        "port": %s,
                        "username": "%s",
                        "password": "%s",
                        "proxy_subnet": "proxy-subnet",
                        "nat_subnet": "10.20.0.0/29"
                      },
                      "cdc_config": {
                        "vpc_network": "projects/my-project/global/networks/default",
                        "subnet_ip_range": "10.30.0.0/29",
                        "username": "%s",
                        "password": "%s",
                        "reverse_proxy_subnet": "reverse-proxy-subnet",
                        "bucket": "%s",
                        "root_path": "/migration"
                      }
                    }
                  }
                }
                """.formatted(requestId, DATABASE, port(), USER, PASSWORD, CDC_USER, CDC_PASSWORD, bucket);
    }

    /** {@link #startMigrationBody} with {@link #NO_LOCK_USER} as the reader. */
    public String startMigrationBodyWithoutLockTables(String requestId, Path bucket)
    {
        return startMigrationBody(requestId, bucket).replace("\"username\": \"%s\"".formatted(USER), "\"username\": \"%s\"".formatted(NO_LOCK_USER))
                .replace(PASSWORD, NO_LOCK_PASSWORD);
    }

    @Override
    public void close()
    {
        server.close();
    }
}
