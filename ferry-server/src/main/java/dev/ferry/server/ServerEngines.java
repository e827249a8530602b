package dev.ferry.server;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.control.Engines;
import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHomes;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.HiveSchemaScripts;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.upgrade.PostgresDatabase;
import dev.ferry.upgrade.SchemaTool;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.SCHEMA_MISSING;
import static java.util.Objects.requireNonNull;

/**
 * The engines of one Ferry process: on the own database, and on a migration's source, each of the Hive version
 * whose schema its database records, from the engine homes of this Ferry.
 */
final class ServerEngines
        implements Engines
{
    private static final Logger log = LoggerFactory.getLogger(ServerEngines.class);
    private static final Pattern CREATE_TABLE = Pattern.compile("(?im)^\\s*CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(\"?)(\\w+)\\1");

    private final EngineHomes homes;
    private final ServerConfig config;
    private final OwnDatabase ownDatabase;
    private final String replicaId;
    private final AtomicInteger started = new AtomicInteger();

    /** @param replicaId this process's id as a replica of the service: its rehearsals' scratch schemas carry it */
    ServerEngines(EngineHomes homes, ServerConfig config, OwnDatabase ownDatabase, String replicaId)
    {
        this.homes = requireNonNull(homes, "homes is null");
        this.config = requireNonNull(config, "config is null");
        this.ownDatabase = requireNonNull(ownDatabase, "ownDatabase is null");
        this.replicaId = requireNonNull(replicaId, "replicaId is null");
    }

    /**
     * Logs what the operator should know about the settings passed through to the engines: what the configuration
     * reading noticed, and every key the engine's Hive and Hadoop do not know (passed on all the same).
     */
    void reportSettings()
    {
        config.engine().warnings().forEach(warning -> log.warn("{}", warning));
        for (var unknown : configuredHost().unknownSettings(config.engine().properties().keySet())) {
            log.warn("engine.properties: {} is not a setting Hive Metastore {} or its Hadoop knows; passed on to the engines anyway{}", unknown.key(),
                    configuredHost().hiveVersion(), unknown.closest().isEmpty() ? "" : " (did you mean %s?)".formatted(unknown.closest()));
        }
    }

    /** Creates the own database's metastore schema, of the configured Hive version, when it has none. */
    void ensureOwnSchema()
    {
        EngineSettings settings = ownSettings("own");
        Optional<String> version = configuredHost().databaseSchemaVersion(settings);
        if (version.isEmpty()) {
            EngineHost host = configuredHost();
            log.info("Own database has no metastore schema; initialising it with Hive's schema tool for Hive {} (schema {})", host.hiveVersion(), host.schemaVersion());
            host.initializeSchema(settings);
        }
        else {
            EngineHost host = homes.forSchemaVersion(version.get());
            log.info("Own database has metastore schema {}: served by Hive {}{}", version.get(), host.hiveVersion(),
                    host.home().hiveLine().equals(config.engine().version()) ? "" : " (engine.version %s applies to a new own database only)".formatted(config.engine().version()));
        }
    }

    private EngineHost configuredHost()
    {
        return homes.forHiveVersion(config.engine().version());
    }

    @Override
    public Engine startOwn()
    {
        ensureOwnSchema();
        EngineHost host = homes.forSchemaVersion(ownSchemaVersion());
        return warm(host.start(ownSettings(name("own"))), true);
    }

    /** Whether standby engines are rehearsed (ferry.rehearseStandby=false turns it off, for comparison). */
    private static final boolean REHEARSE = Boolean.parseBoolean(System.getProperty("ferry.rehearseStandby", "true"));

    /**
     * An engine on the own database for a cutover to switch to, taken through the write calls clients make most on a
     * scratch schema first ({@link StandbyRehearsal}), then warmed as {@link #startOwn()} warms; without the rehearsal
     * when it cannot be done safely or fails.
     */
    @Override
    public Engine startOwnStandby()
    {
        ensureOwnSchema();
        String version = ownSchemaVersion();
        EngineHost host = homes.forSchemaVersion(version);
        if (!REHEARSE || !host.hiveVersion().startsWith("4.") || ownDatabase.jdbcUrl().contains("currentSchema")) {
            return startOwn();
        }
        StandbyRehearsal rehearsal = new StandbyRehearsal(ownDatabase);
        String scratch = StandbyRehearsal.scratchSchema(replicaId);
        long began = System.nanoTime();
        Engine engine = null;
        boolean dropped = false;
        try {
            String own = rehearsal.ownSchema();
            rehearsal.createSchema(scratch);
            host.initializeSchema(ownSettings("rehearsal-schema", scratch));
            var missing = rehearsal.missingTables(scratch);
            if (!missing.isEmpty()) {
                throw new IllegalStateException("the scratch schema lacks tables of the own database's: " + missing);
            }
            long schemaReady = System.nanoTime();
            engine = host.start(ownSettings(name("own"), scratch + "," + own));
            Map<String, String> took = rehearsal.rehearse(engine);
            engine.releaseThreadState();
            rehearsal.dropSchema(scratch);
            dropped = true;
            if (!engine.discardIdBlocks()) {
                throw new IllegalStateException("engine %s cannot drop the id blocks it took".formatted(engine.name()));
            }
            log.info("Engine {} rehearsed writes on the scratch schema {} in {} ms (schema {} ms); calls, first and last round: {}", engine.name(), scratch,
                    (System.nanoTime() - began) / 1_000_000, (schemaReady - began) / 1_000_000, StandbyRehearsal.describe(took));
        }
        catch (TException | RuntimeException | LinkageError e) {
            log.warn("The standby engine's rehearsal on a scratch schema failed ({}); it starts without one", e.toString());
            if (engine != null) {
                engine.close();
            }
            if (!dropped) {
                rehearsal.dropSchemaQuietly(scratch);
            }
            return startOwn();
        }
        return warm(engine, true);
    }

    /** Drops scratch schemas left by rehearsals of a Ferry that stopped during one; before any engine starts. */
    /** Drops the scratch schemas of rehearsals that no live replica runs ({@code liveReplicas}: their ids). */
    void dropLeftoverRehearsals(Set<String> liveReplicas)
    {
        new StandbyRehearsal(ownDatabase).dropLeftovers(liveReplicas);
    }

    @Override
    public Engine startSource(SourceDatabase source)
    {
        EngineSettings settings = settings(name("source"), source.jdbcUrl(), source.user(), source.password());
        String version = configuredHost().databaseSchemaVersion(settings).orElseThrow(() -> new EngineException(SCHEMA_MISSING,
                "the source database %s has no Hive metastore schema (no VERSION table or row)".formatted(source.jdbcUrl())));
        return warm(homes.forSchemaVersion(version).start(settings), false);
    }

    @Override
    public OwnDatabaseTarget ownDatabase()
    {
        return new OwnDatabaseTarget(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
    }

    @Override
    public String ownSchemaVersion()
    {
        return configuredHost().databaseSchemaVersion(ownSettings("own-version"))
                .orElseThrow(() -> new IllegalStateException("the own database %s has no metastore schema".formatted(ownDatabase.describe())));
    }

    @Override
    public boolean supportsSchemaVersion(String schemaVersion)
    {
        return homes.supportsSchemaVersion(schemaVersion);
    }

    @Override
    public String supportedSchemaVersions()
    {
        return homes.supported();
    }

    @Override
    public Path upgradeScripts(String schemaVersion)
    {
        return homes.forSchemaVersion(schemaVersion).home().upgradeScripts();
    }

    @Override
    public Optional<String> reinitializeOwnSchema(String schemaVersion)
    {
        String current = ownSchemaVersion();
        if (current.equals(schemaVersion)) {
            return Optional.empty();
        }
        EngineHost target = homes.forSchemaVersion(schemaVersion);
        long begin = System.nanoTime();
        List<String> tables = metastoreTables(homes.forSchemaVersion(current).home().schemaScripts("postgres").resolve("hive-schema-%s.postgres.sql".formatted(current)));
        try (Connection connection = DriverManager.getConnection(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
                Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            for (String table : tables) {
                statement.addBatch("DROP TABLE IF EXISTS %s CASCADE".formatted(table));
            }
            statement.executeBatch();
            connection.commit();
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot drop the metastore schema %s of the own database %s: %s".formatted(current, ownDatabase.describe(), e.getMessage()), e);
        }
        target.initializeSchema(ownSettings("own-schema"));
        log.info("Own database re-initialised from metastore schema {} to {} (Hive {}) in {} ms: it takes the schema version of the migration's source",
                current, schemaVersion, target.hiveVersion(), (System.nanoTime() - begin) / 1_000_000);
        return Optional.of(current);
    }

    @Override
    public List<String> schemaVersions()
    {
        return homes.schemaVersions();
    }

    @Override
    public String hiveVersion(String schemaVersion)
    {
        return homes.forSchemaVersion(schemaVersion).hiveVersion();
    }

    @Override
    public Optional<String> schemaVersionOfHive(String hiveVersion)
    {
        try {
            return Optional.of(homes.forHiveVersion(hiveVersion).schemaVersion());
        }
        catch (EngineException e) {
            return Optional.empty();
        }
    }

    @Override
    public SchemaTool ownSchemaTool()
    {
        return new SchemaTool()
        {
            @Override
            public void initialize(String schemaVersion, String searchPath)
            {
                homes.forSchemaVersion(schemaVersion).initializeSchema(ownSettings("schema-tool", searchPath));
            }

            @Override
            public void upgrade(String fromVersion, String toVersion, String searchPath)
            {
                homes.forSchemaVersion(toVersion).upgradeSchema(ownSettings("schema-tool", searchPath), fromVersion);
            }
        };
    }

    @Override
    public Engine startOwn(String schemaVersion, String searchPath)
    {
        return warm(homes.forSchemaVersion(schemaVersion).start(ownSettings(name("own"), searchPath)), true);
    }

    private EngineSettings ownSettings(String name, String searchPath)
    {
        return settings(name, new PostgresDatabase(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password()).jdbcUrlWithSearchPath(searchPath),
                ownDatabase.user(), ownDatabase.password());
    }

    /** The tables a Hive PostgreSQL schema script creates, named as PostgreSQL stores them, quoted. */
    static List<String> metastoreTables(Path postgresScript)
    {
        // Hive's script of that version, or (2.3.0) the older one and the upgrades Hive builds the version from.
        String script = HiveSchemaScripts.read(postgresScript);
        List<String> tables = new ArrayList<>();
        Matcher create = CREATE_TABLE.matcher(script);
        while (create.find()) {
            String name = create.group(1).isEmpty() ? create.group(2).toLowerCase(Locale.ROOT) : create.group(2);
            tables.add("\"" + name + "\"");
        }
        return tables;
    }

    private String name(String kind)
    {
        int number = started.incrementAndGet();
        return number == 1 ? kind : kind + "-" + number;
    }

    private EngineSettings ownSettings(String name)
    {
        return settings(name, ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
    }

    private EngineSettings settings(String name, String jdbcUrl, String user, String password)
    {
        return new EngineSettings(name, jdbcUrl, user, password, config.warehouseDirectory().toAbsolutePath(),
                config.engine().backgroundTasks() ? EngineSettings.BackgroundTasks.ON : EngineSettings.BackgroundTasks.OFF,
                config.engine().notificationLog() ? EngineSettings.NotificationLog.ON : EngineSettings.NotificationLog.OFF, config.engine().properties());
    }

    /** Tables looked at, at most, for one with a partition to read when warming an engine. */
    private static final int WARM_TABLES = 20;

    /** The first call after a start takes a few hundred milliseconds; pay it before clients arrive. */
    private static Engine warm(Engine engine, boolean own)
    {
        try {
            List<String> databases = engine.client().get_all_databases();
            Optional<Partition> partition = warmReads(engine, databases);
            if (own && WARM_WRITES) {
                warmWrites(engine, partition);
            }
            return engine;
        }
        catch (TException | RuntimeException e) {
            engine.close();
            throw new IllegalStateException("engine %s started but cannot answer: %s".formatted(engine.name(), e.getMessage()), e);
        }
    }

    /**
     * The read calls clients make most (Spark, Trino, Iceberg, Hive), each made once on a table with a partition if
     * the metastore has one: the first such call after a start loads the object-store metadata of tables,
     * partitions and storage descriptors, compiles the engine's queries and has PostgreSQL plan them, which the first
     * client calls after a cutover's switch would otherwise wait for (reads go to the new engine at the switch, and
     * are never held). What each first call took is logged, so the cold cost is measured per method on every start.
     * Only reads: the engine may not write the own database before it serves it. Best effort: a failure here is
     * logged, not fatal.
     */
    private static Optional<Partition> warmReads(Engine engine, List<String> databases)
    {
        Partition sample = null;
        long started = System.nanoTime();
        Map<String, Long> firstCalls = new java.util.LinkedHashMap<>();
        try {
            int looked = 0;
            Table found = null;
            search:
            for (String database : databases) {
                for (String name : timed(firstCalls, "get_all_tables", () -> engine.client().get_all_tables(database))) {
                    if (++looked > WARM_TABLES) {
                        break search;
                    }
                    Table table = timed(firstCalls, "get_table_req", () -> engine.client().get_table_req(new GetTableRequest(database, name)).getTable());
                    List<Partition> partitions = table.getPartitionKeysSize() > 0
                            ? timed(firstCalls, "get_partitions", () -> engine.client().get_partitions(database, name, (short) 1)) : List.of();
                    if (!partitions.isEmpty()) {
                        found = table;
                        sample = partitions.get(0);
                        break search;
                    }
                }
            }
            Table table = found;
            if (table != null) {
                String database = table.getDbName();
                String name = table.getTableName();
                List<String> partitionNames = timed(firstCalls, "get_partition_names", () -> engine.client().get_partition_names(database, name, (short) 10));
                if (!partitionNames.isEmpty()) {
                    tryTimed(engine, firstCalls, "get_partitions_by_names", () -> engine.client().get_partitions_by_names(database, name, partitionNames.subList(0, 1)));
                    String key = table.getPartitionKeys().get(0).getName();
                    String first = partitionNames.get(0);
                    String value = first.substring(first.indexOf('=') + 1).split("/")[0];
                    tryTimed(engine, firstCalls, "get_partitions_by_filter", () -> engine.client().get_partitions_by_filter(database, name, "%s = \"%s\"".formatted(key, value.replace("\"", "")), (short) 1));
                    tryTimed(engine, firstCalls, "get_partitions_ps", () -> engine.client().get_partitions_ps(database, name, List.of(value), (short) 1));
                }
                org.apache.hadoop.hive.metastore.api.GetTablesRequest tables = new org.apache.hadoop.hive.metastore.api.GetTablesRequest(database);
                tables.setTblNames(List.of(name));
                tryTimed(engine, firstCalls, "get_table_objects_by_name_req", () -> engine.client().get_table_objects_by_name_req(tables));
                List<String> columns = table.getSd().getCols().stream().map(org.apache.hadoop.hive.metastore.api.FieldSchema::getName).limit(5).toList();
                if (!columns.isEmpty()) {
                    tryTimed(engine, firstCalls, "get_table_statistics_req", () -> engine.client().get_table_statistics_req(
                            new org.apache.hadoop.hive.metastore.api.TableStatsRequest(database, name, columns)));
                }
            }
            tryTimed(engine, firstCalls, "get_current_notificationEventId", () -> engine.client().get_current_notificationEventId());
            tryTimed(engine, firstCalls, "show_locks", () -> engine.client().show_locks(new org.apache.hadoop.hive.metastore.api.ShowLocksRequest()));
            tryTimed(engine, firstCalls, "get_open_txns", () -> engine.client().get_open_txns());
        }
        catch (TException | RuntimeException | LinkageError e) {
            log.warn("Engine {}: warming it with reads failed ({}); its first calls may be slower", engine.name(), e.toString());
        }
        log.info("Engine {} warmed in {} ms; first calls: {}", engine.name(), (System.nanoTime() - started) / 1_000_000, firstCalls.entrySet().stream()
                .map(entry -> entry.getKey() + " " + entry.getValue() + " ms").collect(java.util.stream.Collectors.joining(", ")));
        return Optional.ofNullable(sample);
    }

    /** Whether own engines are warmed with write calls that fail (ferry.warmWrites=false turns it off, for comparison). */
    private static final boolean WARM_WRITES = Boolean.parseBoolean(System.getProperty("ferry.warmWrites", "true"));

    /** The partition value no warm-up call may find: the duplicated partition of the warm-up's add_partitions (names of the warm-up begin "__ferry_warm_up"). */
    static final String WARM_VALUE = "__ferry_warm_up_never_added__";

    /**
     * The write calls clients make most, each made once so that it FAILS before it changes anything: the own
     * database is a replica until the switch, and the engine may not write it before it serves it (an id block
     * DataNucleus took now would collide with the source's ids after the switch; a notification event with the
     * replicated NOTIFICATION_LOG). Each call loads and runs the engine's handler and the object store's write
     * path up to its validation (transaction opened, table and partitions looked up, pre-event listeners) and
     * is refused there: an existing partition added again, a partition listed twice in one call, an existing
     * table created again, a table or partition that does not exist altered or dropped. None reaches an insert,
     * an id allocation, a notification or the warehouse directory (CompleteMigrationMariaDbTest checks every table's
     * row count, SEQUENCE_TABLE and NOTIFICATION_SEQUENCE before and after). Best effort: a call that fails otherwise,
     * or succeeds, is logged; what each took is logged as for reads.
     */
    private static void warmWrites(Engine engine, Optional<Partition> found)
    {
        if (!engine.hiveVersion().startsWith("4.")) {
            // Hive 3.1's add_partitions starts a partition's directory before it finds the duplicate in the list, and
            // its other refusals are not checked by a test: its first writes stay cold rather than risk a directory.
            log.info("Engine {}: writes not warmed on Hive {} (only Hive 4's refusals are checked to change nothing)", engine.name(), engine.hiveVersion());
            return;
        }
        if (found.isEmpty()) {
            log.info("Engine {}: no partition to warm writes with", engine.name());
            return;
        }
        long started = System.nanoTime();
        Map<String, String> firstCalls = new java.util.LinkedHashMap<>();
        Partition existing = found.get();
        String database = existing.getDbName();
        String table = existing.getTableName();
        String missingTable = "__ferry_warm_up_no_such_table__";
        try {
            Table tableObject = engine.client().get_table_req(new GetTableRequest(database, table)).getTable();
            Partition twice = existing.deepCopy();
            twice.setValues(existing.getValues().stream().map(value -> WARM_VALUE).toList());
            if (twice.getSd() != null) {
                twice.getSd().setLocation(null);
            }
            refused(engine, firstCalls, "add_partitions (existing)", () -> engine.client().add_partitions(List.of(existing.deepCopy())));
            refused(engine, firstCalls, "add_partitions (listed twice)", () -> engine.client().add_partitions(List.of(twice, twice.deepCopy())));
            refused(engine, firstCalls, "add_partition (existing)", () -> engine.client().add_partition(existing.deepCopy()));
            refused(engine, firstCalls, "create_table (existing)", () -> {
                engine.client().create_table(tableObject.deepCopy());
                return null;
            });
            Table missing = tableObject.deepCopy();
            missing.setTableName(missingTable);
            refused(engine, firstCalls, "alter_table (missing)", () -> {
                engine.client().alter_table(database, missingTable, missing);
                return null;
            });
            // Altered in a table that does not exist, not as a missing partition of the existing table: Hive 4.0.1 looks
            // a missing partition's parameters up with the direct SQL "PART_ID" in () (no partition matched), which
            // PostgreSQL refuses, and logs that failure as a warning with its stack trace before it falls back to JDO:
            // one such warning per engine start, about a call no client made. The standby's rehearsal alters partitions
            // for real on its scratch schema.
            Partition missingPartition = twice.deepCopy();
            Partition inMissingTable = twice.deepCopy();
            inMissingTable.setTableName(missingTable);
            refused(engine, firstCalls, "alter_partitions (missing table)", () -> {
                engine.client().alter_partitions(database, missingTable, List.of(inMissingTable));
                return null;
            });
            refused(engine, firstCalls, "drop_partition (missing)", () -> engine.client().drop_partition(database, table, missingPartition.getValues(), false));
            refused(engine, firstCalls, "drop_table (missing)", () -> {
                engine.client().drop_table(database, missingTable, false);
                return null;
            });
        }
        catch (TException | RuntimeException | LinkageError e) {
            log.warn("Engine {}: warming it with refused writes failed ({}); its first writes may be slower", engine.name(), e.toString());
        }
        log.info("Engine {} warmed with refused writes in {} ms; first calls: {}", engine.name(), (System.nanoTime() - started) / 1_000_000,
                firstCalls.entrySet().stream().map(entry -> entry.getKey() + " " + entry.getValue()).collect(java.util.stream.Collectors.joining(", ")));
    }

    /** Makes a write call expected to be refused, and notes what it took and how it ended. */
    private static void refused(Engine engine, Map<String, String> firstCalls, String method, Read<?> call)
    {
        long began = System.nanoTime();
        String outcome;
        try {
            call.call();
            outcome = "NOT REFUSED";
            log.warn("Engine {}: the warm-up call {} was not refused", engine.name(), method);
        }
        catch (TException | RuntimeException | LinkageError e) {
            outcome = e.getClass().getSimpleName();
        }
        firstCalls.put(method, "%d ms (%s)".formatted((System.nanoTime() - began) / 1_000_000, outcome));
    }

    /** A call on an engine, for the warm-up and the rehearsal to time. */
    interface Read<T>
    {
        T call()
                throws TException;
    }

    /** {@link #timed}, for a call whose failure (a method this engine's version lacks, say) does not stop the warm-up. */
    private static void tryTimed(Engine engine, Map<String, Long> firstCalls, String method, Read<?> read)
    {
        try {
            timed(firstCalls, method, read);
        }
        catch (TException | RuntimeException | LinkageError e) {
            log.info("Engine {}: warming {} failed: {}", engine.name(), method, e.toString());
        }
    }

    /** Makes the call, and notes what the first call of that method took. */
    private static <T> T timed(Map<String, Long> firstCalls, String method, Read<T> read)
            throws TException
    {
        long began = System.nanoTime();
        T result = read.call();
        firstCalls.putIfAbsent(method, (System.nanoTime() - began) / 1_000_000);
        return result;
    }
}
