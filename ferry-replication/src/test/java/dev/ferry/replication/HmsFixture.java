package dev.ferry.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.AbortTxnRequest;
import org.apache.hadoop.hive.metastore.api.ColumnStatistics;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsData;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsDesc;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsObj;
import org.apache.hadoop.hive.metastore.api.CommitTxnRequest;
import org.apache.hadoop.hive.metastore.api.LockComponent;
import org.apache.hadoop.hive.metastore.api.LockLevel;
import org.apache.hadoop.hive.metastore.api.LockRequest;
import org.apache.hadoop.hive.metastore.api.LockType;
import org.apache.hadoop.hive.metastore.api.LongColumnStatsData;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

/** Real metastores for replication tests: a MariaDB or MySQL source and a PostgreSQL own database, filled through HMS. */
public final class HmsFixture
{
    public static final String SCHEMA_VERSION = "4.0.0";
    private static final String OWN_TEMPLATE = "own_template";
    /** The servers that hold an initialised {@value #OWN_TEMPLATE}; weak, as each test class starts its own. */
    private static final Map<EmbeddedPostgresServer, Boolean> ownTemplates = new WeakHashMap<>();

    private HmsFixture() {}

    public static EngineHost host()
    {
        return new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
    }

    public static Path upgradeScripts()
    {
        return Path.of(System.getProperty("ferry.engine.home"), "scripts", "metastore", "upgrade");
    }

    public static SchemaMapping mapping()
    {
        return SchemaMapping.derive(upgradeScripts(), SCHEMA_VERSION);
    }

    public static EngineSettings settings(String name, String url, String user, String password)
            throws Exception
    {
        return new EngineSettings(name, url, user, password, Files.createTempDirectory("ferry-warehouse-"), EngineSettings.BackgroundTasks.OFF,
                EngineSettings.NotificationLog.ON, Map.of());
    }

    /**
     * A database with Hive's schema on a source server, and the source description replication connects with: on
     * MySQL as a reader and a CDC user with the least privileges Ferry documents (on MySQL 8 with
     * caching_sha2_password); on the shared MariaDB, which skips grant tables, as its root.
     */
    public static SourceDatabase source(SourceServer server, String database)
            throws Exception
    {
        host().initializeSchema(settings(database, server.createDatabase(database), server.user(), server.password()));
        if (server instanceof EmbeddedMySql mySql) {
            EmbeddedMySql.MigrationUsers users = mySql.createMigrationUsers(database);
            return new SourceDatabase("127.0.0.1", server.port(), database, users.reader(), users.readerPassword(), users.cdc(), users.cdcPassword());
        }
        return new SourceDatabase("127.0.0.1", server.port(), database, server.user(), server.password(), server.user(), server.password());
    }

    /** An engine on the source database as the server's administrator (the metastore's own account). */
    public static Engine engine(SourceServer server, SourceDatabase source)
            throws Exception
    {
        return host().start(settings(source.database(), server.jdbcUrl(source.database()), server.user(), server.password()));
    }

    /** The dialect of a source's server, as replication detects it. */
    public static SourceDialect dialect(SourceDatabase source)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.sourceCdc(source)) {
            return SourceDialect.detect(connection);
        }
    }

    /** The source's position now: every transaction committed so far. */
    public static SourcePosition position(SourceDatabase source)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.sourceCdc(source)) {
            return SourceDialect.detect(connection).currentPosition(connection);
        }
    }

    /**
     * A PostgreSQL database freshly initialised as Ferry does it: schema tool, then one engine start. That is done
     * once per server, in {@value #OWN_TEMPLATE}, which no test uses; each own database is a copy of it, the same
     * rows with the same ids, without the schema tool's and the engine's seconds each time.
     */
    public static OwnDatabaseTarget own(EmbeddedPostgresServer postgres, String database)
            throws Exception
    {
        synchronized (ownTemplates) {
            if (!ownTemplates.containsKey(postgres)) {
                EngineSettings settings = settings(OWN_TEMPLATE, postgres.createDatabase(OWN_TEMPLATE), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
                host().initializeSchema(settings);
                try (Engine engine = host().start(settings)) {
                    engine.client().get_all_databases();
                }
                ownTemplates.put(postgres, Boolean.TRUE);
            }
        }
        return new OwnDatabaseTarget(postgres.createDatabase(database, OWN_TEMPLATE), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    public static Engine engine(OwnDatabaseTarget own)
            throws Exception
    {
        return host().start(settings("own", own.jdbcUrl(), own.user(), own.password()));
    }

    /**
     * Fills a metastore: databases, partitioned tables with parameters, partitions, table and partition column
     * statistics, a committed and an aborted transaction, a lock left held.
     */
    public static void fill(ThriftHiveMetastore.Iface hms, String prefix, int databases, int tablesPerDatabase, int partitionsPerTable)
            throws Exception
    {
        for (int d = 0; d < databases; d++) {
            String database = prefix + "_db" + d;
            hms.create_database(HmsObjects.database(database));
            for (int t = 0; t < tablesPerDatabase; t++) {
                Table table = HmsObjects.partitionedTable(database, "t" + t, List.of("day"));
                hms.create_table(table);
                List<Partition> partitions = new ArrayList<>();
                for (int p = 0; p < partitionsPerTable; p++) {
                    partitions.add(HmsObjects.partition(table, List.of("2026-01-%04d".formatted(p))));
                }
                for (int from = 0; from < partitions.size(); from += 500) {
                    hms.add_partitions(partitions.subList(from, Math.min(partitions.size(), from + 500)));
                }
                hms.update_table_column_statistics(statistics(database, "t" + t, null));
                if (partitionsPerTable > 0) {
                    hms.update_partition_column_statistics(statistics(database, "t" + t, "day=2026-01-0000"));
                }
            }
        }
        long committed = hms.open_txns(new OpenTxnRequest(1, "fixture", "localhost")).getTxn_ids().get(0);
        hms.commit_txn(new CommitTxnRequest(committed));
        long aborted = hms.open_txns(new OpenTxnRequest(1, "fixture", "localhost")).getTxn_ids().get(0);
        hms.abort_txn(new AbortTxnRequest(aborted));
        LockComponent component = new LockComponent(LockType.SHARED_READ, LockLevel.DB, prefix + "_db0");
        hms.lock(new LockRequest(List.of(component), "fixture", "localhost"));
    }

    private static ColumnStatistics statistics(String database, String table, String partition)
    {
        ColumnStatisticsDesc description = new ColumnStatisticsDesc(partition == null, database, table);
        if (partition != null) {
            description.setPartName(partition);
        }
        LongColumnStatsData data = new LongColumnStatsData(3, 42);
        data.setLowValue(1);
        data.setHighValue(99_999);
        ColumnStatistics statistics = new ColumnStatistics(description, List.of(new ColumnStatisticsObj("id", "bigint", ColumnStatisticsData.longStats(data))));
        statistics.setEngine("hive");
        return statistics;
    }

    /** Row counts of every HMS table. */
    public static Map<String, Long> sourceCounts(SourceDatabase source, SchemaMapping mapping)
            throws SQLException
    {
        try (Connection connection = JdbcConnections.source(source)) {
            return counts(connection, mapping, true);
        }
    }

    public static Map<String, Long> ownCounts(OwnDatabaseTarget own, SchemaMapping mapping)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            return counts(connection, mapping, false);
        }
    }

    private static Map<String, Long> counts(Connection connection, SchemaMapping mapping, boolean source)
            throws SQLException
    {
        Map<String, Long> counts = new TreeMap<>();
        try (Statement statement = connection.createStatement()) {
            for (TableMapping table : mapping.tables().values()) {
                try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + (source ? table.sourceIdentifier() : table.targetIdentifier()))) {
                    rows.next();
                    counts.put(table.name(), rows.getLong(1));
                }
            }
        }
        return counts;
    }

    /** Asserts every HMS table of the own database equals the source's row for row, duplicates included. */
    public static void assertEveryTableEqual(SourceDatabase source, OwnDatabaseTarget own, SchemaMapping mapping)
            throws SQLException
    {
        try (Connection sourceConnection = JdbcConnections.source(source);
                Connection ownConnection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            for (TableMapping table : mapping.tables().values()) {
                org.assertj.core.api.Assertions.assertThat(rows(ownConnection, table, false)).as(table.name())
                        .isEqualTo(rows(sourceConnection, table, true));
            }
        }
    }

    /** Every row of a table as normalised text, sorted. */
    private static List<String> rows(Connection connection, TableMapping table, boolean source)
            throws SQLException
    {
        List<String> rows = new ArrayList<>();
        String columns = String.join(", ", table.columns().stream().map(column -> source ? column.sourceIdentifier() : column.targetIdentifier()).toList());
        try (Statement statement = connection.createStatement();
                ResultSet results = statement.executeQuery("SELECT %s FROM %s".formatted(columns, source ? table.sourceIdentifier() : table.targetIdentifier()))) {
            while (results.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 0; i < table.columns().size(); i++) {
                    ColumnMapping column = table.columns().get(i);
                    Object value = results.getObject(i + 1);
                    if (value instanceof Blob blob) {
                        value = blob.getBytes(1, (int) blob.length());
                    }
                    row.append(column.conversion().normalText(column.conversion().canonical(value))).append('|');
                }
                rows.add(row.toString());
            }
        }
        Collections.sort(rows);
        return rows;
    }
}
