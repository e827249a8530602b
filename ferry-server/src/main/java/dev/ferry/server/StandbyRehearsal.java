package dev.ferry.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.ferry.engine.Engine;
import dev.ferry.server.owndb.OwnDatabase;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SerDeInfo;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Takes a standby engine through the write calls clients make most, for real, on a scratch copy of the metastore
 * schema, before it serves the own database. The first writes on a new engine run cold: its classes loaded and
 * interpreted, DataNucleus's insert statements built, its id generators made, Hadoop's file system first used.
 * Measured on 4 threads each adding 20 partitions at once on a new engine, the first such call took 330-370 ms, the
 * next 130-180 ms, and 180-210 ms when only PostgreSQL's sessions were new (docs/BENCHMARKS.md); a cutover's held
 * writes are such first writes. Refused writes
 * ({@code ServerEngines.warmWrites}) stop before any insert.
 *
 * <p>How it stays off the own database, which is a replica until the switch:
 * <ol>
 * <li>A schema of its own ({@code ferry_rehearsal_<replica>_<random>}) in the own database gets the metastore tables of the
 * own database's schema version from Hive's schema tool. Unless it has every table the own database's schema has,
 * nothing is rehearsed.</li>
 * <li>The engine is started with the search path {@code <scratch>, <own schema>}: each unqualified table name
 * resolves to the scratch table while the scratch schema exists. Its writes, id generators and notifications are the
 * scratch schema's; databases and tables get locations in a temporary directory.</li>
 * <li>Then its per-thread state is released, the scratch schema dropped (the same names now resolve to the own
 * schema's tables on the same connections, PostgreSQL skipping a search path entry that no longer exists), and the
 * engine drops the id blocks and cached objects it took (DataNucleus's value generators, the level-2 cache), so its
 * first insert after the switch takes a block from the own database's finalized {@code SEQUENCE_TABLE}.</li>
 * </ol>
 * Any failure before the drop of its id blocks closes the engine: the standby is started again without a rehearsal.
 * Only for Hive 4 engines (the only ones whose id blocks can be dropped).
 */
final class StandbyRehearsal
{
    private static final Logger log = LoggerFactory.getLogger(StandbyRehearsal.class);
    private static final String PREFIX = "ferry_rehearsal_";
    private static final Pattern OF_REPLICA = Pattern.compile(PREFIX + "([0-9a-f]{12})_[0-9a-f]{8}");
    /** Rounds of the calls: the first loads and builds, the next ones run what the first compiled. */
    private static final int ROUNDS = 3;
    private static final int PARTITIONS_PER_CALL = 20;

    private final OwnDatabase ownDatabase;

    StandbyRehearsal(OwnDatabase ownDatabase)
    {
        this.ownDatabase = requireNonNull(ownDatabase, "ownDatabase is null");
    }

    /** A new scratch schema's name: {@code ferry_rehearsal_<replica>_<random>}. */
    static String scratchSchema(String replicaId)
    {
        if (!replicaId.matches("[0-9a-f]{12}")) {
            throw new IllegalArgumentException("not a replica id: " + replicaId);
        }
        return PREFIX + replicaId + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    /**
     * Drops the scratch schemas rehearsals left that no live replica runs: those of replicas not in
     * {@code liveReplicas}, which stopped during a rehearsal, and those named before scratch schemas carried a
     * replica. Only before any engine of this process starts.
     */
    void dropLeftovers(Set<String> liveReplicas)
    {
        try (Connection connection = connect();
                PreparedStatement select = connection.prepareStatement("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?)")) {
            select.setString(1, PREFIX);
            List<String> leftovers = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String schema = rows.getString(1);
                    Matcher replica = OF_REPLICA.matcher(schema);
                    if (replica.matches() && liveReplicas.contains(replica.group(1))) {
                        log.info("Scratch schema {} belongs to the rehearsal of live replica {}; left to it", schema, replica.group(1));
                        continue;
                    }
                    leftovers.add(schema);
                }
            }
            for (String schema : leftovers) {
                drop(connection, schema);
                log.info("Dropped the scratch schema {} a standby engine's rehearsal left in the own database", schema);
            }
        }
        catch (SQLException e) {
            log.warn("Could not look for scratch schemas of earlier standby rehearsals in the own database: {}", e.getMessage());
        }
    }

    /** The schema the own database's metastore tables are in (the first of its search path). */
    String ownSchema()
    {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT current_schema()")) {
            rows.next();
            String schema = rows.getString(1);
            if (schema == null || !schema.matches("[a-z0-9_]+")) {
                throw new IllegalStateException("the own database's schema is %s, not a plain lower-case name".formatted(schema));
            }
            return schema;
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot read the own database's schema: " + e.getMessage(), e);
        }
    }

    void createSchema(String schema)
    {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + quoted(schema));
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot create the scratch schema %s in the own database: %s".formatted(schema, e.getMessage()), e);
        }
    }

    /** The own database's tables missing from the scratch schema (writes to them would reach the own database). */
    Set<String> missingTables(String schema)
    {
        try (Connection connection = connect();
                PreparedStatement statement = connection.prepareStatement("""
                        SELECT c.relname FROM pg_class c
                        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
                        EXCEPT
                        SELECT c.relname FROM pg_class c
                        WHERE c.relnamespace = ?::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')""")) {
            statement.setString(1, quoted(schema));
            Set<String> missing = new TreeSet<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    missing.add(rows.getString(1));
                }
            }
            return missing;
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot compare the scratch schema %s with the own database's: %s".formatted(schema, e.getMessage()), e);
        }
    }

    void dropSchema(String schema)
    {
        try (Connection connection = connect()) {
            drop(connection, schema);
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot drop the scratch schema %s: %s".formatted(schema, e.getMessage()), e);
        }
    }

    void dropSchemaQuietly(String schema)
    {
        try {
            dropSchema(schema);
        }
        catch (RuntimeException e) {
            log.warn("{}; the next Ferry start drops it", e.getMessage());
        }
    }

    private static void drop(Connection connection, String schema)
            throws SQLException
    {
        try (Statement statement = connection.createStatement()) {
            // The engine's connections are idle (no call runs on it): nothing should hold a lock for long.
            statement.execute("SET lock_timeout = '30s'");
            statement.execute("DROP SCHEMA IF EXISTS " + quoted(schema) + " CASCADE");
        }
    }

    /**
     * Makes the write calls, {@link #ROUNDS} rounds, on the engine whose search path begins with the scratch schema;
     * returns what each call took in its first round and in its last.
     */
    Map<String, String> rehearse(Engine engine)
            throws TException
    {
        Path directory;
        try {
            directory = Files.createTempDirectory("ferry-rehearsal-");
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the rehearsal's tables", e);
        }
        Map<String, List<Long>> took = new LinkedHashMap<>();
        try {
            String databaseName = "ferry_rehearsal";
            Database database = new Database(databaseName, "a standby engine's rehearsal", directory.resolve("db").toUri().toString(), new HashMap<>());
            database.setOwnerName("ferry");
            timed(took, "create_database", () -> {
                engine.client().create_database(database);
                return null;
            });
            for (int round = 0; round < ROUNDS; round++) {
                String name = "t" + round;
                Table table = table(databaseName, name, directory.resolve(name).toUri().toString());
                timed(took, "create_table", () -> {
                    engine.client().create_table(table);
                    return null;
                });
                Table created = timed(took, "get_table_req", () -> engine.client().get_table_req(new GetTableRequest(databaseName, name)).getTable());
                int base = 0;
                for (String method : List.of("add_partitions", "add_partitions (again)")) {
                    List<Partition> partitions = new ArrayList<>();
                    for (int i = 0; i < PARTITIONS_PER_CALL; i++) {
                        partitions.add(partition(created, "d" + (base + i)));
                    }
                    base += PARTITIONS_PER_CALL;
                    timed(took, method, () -> engine.client().add_partitions(partitions));
                }
                timed(took, "add_partition", () -> engine.client().add_partition(partition(created, "single")));
                List<String> names = timed(took, "get_partition_names", () -> engine.client().get_partition_names(databaseName, name, (short) -1));
                List<Partition> fetched = timed(took, "get_partitions_by_names", () -> engine.client().get_partitions_by_names(databaseName, name, names.subList(0, 5)));
                timed(took, "get_partitions", () -> engine.client().get_partitions(databaseName, name, (short) 50));
                timed(took, "get_partitions_by_filter", () -> engine.client().get_partitions_by_filter(databaseName, name, "ds = \"d1\"", (short) 1));
                fetched.forEach(partition -> partition.getParameters().put("numRows", "10"));
                timed(took, "alter_partitions", () -> {
                    engine.client().alter_partitions(databaseName, name, fetched);
                    return null;
                });
                created.getParameters().put("numRows", "200");
                timed(took, "alter_table", () -> {
                    engine.client().alter_table(databaseName, name, created);
                    return null;
                });
                timed(took, "drop_partition", () -> engine.client().drop_partition(databaseName, name, List.of("single"), false));
                timed(took, "get_current_notificationEventId", () -> engine.client().get_current_notificationEventId());
                timed(took, "drop_table", () -> {
                    engine.client().drop_table(databaseName, name, false);
                    return null;
                });
            }
            timed(took, "drop_database", () -> {
                engine.client().drop_database(databaseName, false, false);
                return null;
            });
        }
        finally {
            deleteQuietly(directory);
        }
        Map<String, String> summary = new LinkedHashMap<>();
        took.forEach((method, times) -> summary.put(method, times.size() == 1 ? times.get(0) + " ms" : "%d ms, last %d ms".formatted(times.get(0), times.get(times.size() - 1))));
        return summary;
    }

    private static <T> T timed(Map<String, List<Long>> took, String method, ServerEngines.Read<T> call)
            throws TException
    {
        long began = System.nanoTime();
        T result = call.call();
        took.computeIfAbsent(method, key -> new ArrayList<>()).add((System.nanoTime() - began) / 1_000_000);
        return result;
    }

    private static Table table(String database, String name, String location)
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(new ArrayList<>(List.of(new FieldSchema("id", "bigint", "row id"), new FieldSchema("name", "string", null),
                new FieldSchema("amount", "decimal(18,2)", null))));
        storage.setLocation(location);
        storage.setInputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
        storage.setOutputFormat("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
        storage.setSerdeInfo(new SerDeInfo(name, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", new HashMap<>(Map.of("serialization.format", "1"))));
        storage.setParameters(new HashMap<>());
        storage.setBucketCols(new ArrayList<>());
        storage.setSortCols(new ArrayList<>());
        Table table = new Table();
        table.setDbName(database);
        table.setTableName(name);
        table.setOwner("ferry");
        table.setTableType("EXTERNAL_TABLE");
        table.setSd(storage);
        table.setPartitionKeys(new ArrayList<>(List.of(new FieldSchema("ds", "string", null))));
        table.setParameters(new HashMap<>(Map.of("EXTERNAL", "TRUE")));
        return table;
    }

    private static Partition partition(Table table, String value)
    {
        StorageDescriptor storage = new StorageDescriptor(table.getSd());
        storage.setLocation(null);
        Partition partition = new Partition();
        partition.setDbName(table.getDbName());
        partition.setTableName(table.getTableName());
        partition.setValues(new ArrayList<>(List.of(value)));
        partition.setSd(storage);
        partition.setParameters(new HashMap<>(Map.of("numFiles", "1", "totalSize", "1024")));
        return partition;
    }

    private static void deleteQuietly(Path directory)
    {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
        catch (IOException | UncheckedIOException e) {
            log.warn("Could not delete the rehearsal's directory {}: {}", directory, e.getMessage());
        }
    }

    private Connection connect()
            throws SQLException
    {
        return DriverManager.getConnection(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
    }

    private static String quoted(String schema)
    {
        if (!schema.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("not a scratch schema name: " + schema);
        }
        return "\"" + schema + "\"";
    }

    /** For logs: a map of call to what it took. */
    static String describe(Map<String, String> took)
    {
        return took.entrySet().stream().map(entry -> entry.getKey() + " " + entry.getValue()).collect(Collectors.joining(", "));
    }
}
