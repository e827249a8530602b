package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.control.model.CdcConfig;
import dev.ferry.control.model.CloudSqlConnectionConfig;
import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.HiveVersionUpgrade;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.model.ServiceState;
import dev.ferry.control.model.Verb;
import dev.ferry.replication.source.SourceTls;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The control plane's durable state, in the schema {@value #SCHEMA} of the own database, created and upgraded by
 * Flyway from {@code db/ferry-control}. Every state change is one short transaction; callers write a transition
 * here before they act on it.
 */
public final class ControlStore
        implements AutoCloseable
{
    public static final String SCHEMA = "ferry_control";
    private static final Logger log = LoggerFactory.getLogger(ControlStore.class);
    private static final ObjectMapper json = new ObjectMapper();

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Duration pausedTransactionTimeout;

    /** A stored token: its hash only; {@code expireTime}, if any, is when it stops being valid. */
    public record StoredToken(String id, String principal, String role, String hash, Instant createTime, Optional<Instant> revokeTime, Optional<Instant> expireTime)
    {
        public StoredToken
        {
            requireNonNull(id, "id is null");
            requireNonNull(principal, "principal is null");
            requireNonNull(role, "role is null");
            requireNonNull(hash, "hash is null");
            requireNonNull(createTime, "createTime is null");
            requireNonNull(revokeTime, "revokeTime is null");
            requireNonNull(expireTime, "expireTime is null");
        }
    }

    /** The encrypted passwords of an execution. */
    public record SealedPasswords(byte[] connection, byte[] cdc) {}

    /** Below this, a long collection or a slow machine would end sessions of replicas that are not paused. */
    private static final Duration MIN_PAUSED_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Sessions kept open between transactions, for the next one: opening a session costs PostgreSQL a process and
     * Ferry tens of milliseconds on a busy host (p50 32 ms under the cutover benchmark's load), a kept one a round trip.
     */
    private static final int MAX_IDLE_SESSIONS = 4;
    /** A kept session unused for longer is checked with a round trip before it is used (the server may have ended it). */
    private static final long CHECK_IDLE_AFTER_NANOS = Duration.ofSeconds(1).toNanos();

    private record IdleSession(Connection connection, long since) {}

    // The most recently used first; guarded by itself.
    private final java.util.ArrayDeque<IdleSession> idle = new java.util.ArrayDeque<>();
    private volatile boolean closed;

    private ControlStore(String jdbcUrl, String user, String password, Duration pausedTransactionTimeout)
    {
        this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
        this.user = requireNonNull(user, "user is null");
        this.password = requireNonNull(password, "password is null");
        this.pausedTransactionTimeout = requireNonNull(pausedTransactionTimeout, "pausedTransactionTimeout is null");
    }

    /** {@link #open(String, String, String, Duration)} with the default {@code replicas.dead-after}, 10 s. */
    public static ControlStore open(String jdbcUrl, String user, String password)
    {
        return open(jdbcUrl, user, password, Duration.ofSeconds(10));
    }

    /**
     * Brings the schema to the newest version and makes sure the service row exists. A session of this process that
     * stays inside a transaction without a statement for {@code pausedTransactionTimeout} (the process was stopped
     * or stalled, or the network cut it off, while it held locks of the control store) is ended by PostgreSQL
     * ({@code idle_in_transaction_session_timeout}), which releases its locks: the other replicas wait for a paused
     * one no longer than they take to count it dead ({@code replicas.dead-after}, at least 10 s).
     */
    public static ControlStore open(String jdbcUrl, String user, String password, Duration pausedTransactionTimeout)
    {
        MigrateResult result = Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .schemas(SCHEMA)
                .createSchemas(true)
                .locations("classpath:db/ferry-control")
                .loggers("slf4j")
                .load()
                .migrate();
        log.info("Control store: schema {} at version {} ({} migrations applied now)", SCHEMA,
                result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion, result.migrationsExecuted);
        ControlStore store = new ControlStore(jdbcUrl, user, password, pausedTransactionTimeout.compareTo(MIN_PAUSED_TRANSACTION_TIMEOUT) < 0
                ? MIN_PAUSED_TRANSACTION_TIMEOUT : pausedTransactionTimeout);
        store.ensureService();
        return store;
    }

    /** A kept session (checked if it was idle for a while), or a new one. */
    Connection borrow()
            throws SQLException
    {
        while (true) {
            IdleSession kept;
            synchronized (idle) {
                kept = idle.pollFirst();
            }
            if (kept == null) {
                return dedicatedConnection("ferry/control");
            }
            if (System.nanoTime() - kept.since() < CHECK_IDLE_AFTER_NANOS || kept.connection().isValid(1)) {
                return kept.connection();
            }
            closeQuietly(kept.connection());
        }
    }

    /** Keeps a session whose transaction ended (committed or rolled back) for the next, up to {@value #MAX_IDLE_SESSIONS}. */
    void giveBack(Connection connection)
    {
        if (!closed) {
            synchronized (idle) {
                if (idle.size() < MAX_IDLE_SESSIONS) {
                    idle.addFirst(new IdleSession(connection, System.nanoTime()));
                    return;
                }
            }
        }
        closeQuietly(connection);
    }

    static void closeQuietly(Connection connection)
    {
        try {
            connection.close();
        }
        catch (SQLException ignored) {
            // Broken already.
        }
    }

    /** Ends the kept sessions; a transaction after this opens a session of its own and closes it. */
    @Override
    public void close()
    {
        closed = true;
        List<IdleSession> ending;
        synchronized (idle) {
            ending = List.copyOf(idle);
            idle.clear();
        }
        ending.forEach(session -> closeQuietly(session.connection()));
    }

    /**
     * A connection of its own to the control store (not autocommit, schema {@value #SCHEMA}), for a caller that
     * talks to it often, such as a replica's heartbeat; {@code applicationName} shows in pg_stat_activity.
     */
    public Connection dedicatedConnection(String applicationName)
            throws SQLException
    {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("ApplicationName", applicationName);
        properties.setProperty("options", "-c idle_in_transaction_session_timeout=" + pausedTransactionTimeout.toMillis());
        // The schema as a parameter of the session's start, not a SET inside its first transaction: a rollback of that
        // transaction would undo the SET, and a kept session would then look for the control store's tables elsewhere.
        properties.setProperty("currentSchema", SCHEMA);
        Connection connection = DriverManager.getConnection(jdbcUrl, properties);
        try {
            connection.setAutoCommit(false);
            return connection;
        }
        catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    @FunctionalInterface
    public interface Work<T>
    {
        T run(Connection connection)
                throws SQLException;
    }

    /** Runs {@code work} in one transaction: all of it is written, or none. */
    public <T> T inTransaction(Work<T> work)
    {
        try {
            Connection connection = borrow();
            // Kept for the next transaction only if this one ended cleanly: a session that failed is closed.
            boolean ended = false;
            try {
                T result = work.run(connection);
                connection.commit();
                ended = true;
                return result;
            }
            catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                    ended = true;
                }
                catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
            finally {
                if (ended) {
                    giveBack(connection);
                }
                else {
                    closeQuietly(connection);
                }
            }
        }
        catch (SQLException e) {
            throw new ControlStoreException("control store: " + e.getMessage(), e);
        }
    }

    private void ensureService()
    {
        inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO service (id, uid, create_time, update_time, state, backend, generation)
                    VALUES (1, ?, now(), now(), 'ACTIVE', 'OWN', 1) ON CONFLICT (id) DO NOTHING""")) {
                insert.setString(1, UUID.randomUUID().toString());
                if (insert.executeUpdate() == 1) {
                    log.info("Control store: service created, ACTIVE, serving from the own database (generation 1)");
                }
            }
            return null;
        });
    }

    // ---- service ----

    public ServiceRecord service()
    {
        return inTransaction(ControlStore::service);
    }

    public static ServiceRecord service(Connection connection)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT uid, create_time, update_time, state, state_message, backend, backend_execution, generation FROM service WHERE id = 1");
                ResultSet rows = select.executeQuery()) {
            if (!rows.next()) {
                throw new SQLException("the control store has no service row");
            }
            return new ServiceRecord(rows.getString(1), instant(rows, 2), instant(rows, 3), ServiceState.valueOf(rows.getString(4)), rows.getString(5),
                    ServiceRecord.Backend.valueOf(rows.getString(6)), Optional.ofNullable(rows.getString(7)), rows.getLong(8));
        }
    }

    /** Replication's progress of an execution as the replica running it published it, and how old that is. */
    public record PublishedReplication(ObjectNode view, Duration age)
    {
        public PublishedReplication
        {
            requireNonNull(view, "view is null");
            requireNonNull(age, "age is null");
        }
    }

    /** Publishes replication's progress of {@code executionId}: the execution's {@code replication} block (V8). */
    public static void publishReplication(Connection connection, String executionId, ObjectNode view)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE ferry_control.migration_execution SET replication_view = ?, replication_view_time = now() WHERE id = ?")) {
            update.setString(1, view.toString());
            update.setString(2, executionId);
            update.executeUpdate();
        }
    }

    public static Optional<PublishedReplication> publishedReplication(Connection connection, String executionId)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT replication_view, extract(epoch FROM now() - replication_view_time) FROM ferry_control.migration_execution WHERE id = ? AND replication_view IS NOT NULL")) {
            select.setString(1, executionId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                JsonNode view = json.readTree(rows.getString(1));
                if (!(view instanceof ObjectNode object)) {
                    return Optional.empty();
                }
                return Optional.of(new PublishedReplication(object, Duration.ofMillis(Math.max(0, (long) (rows.getDouble(2) * 1000)))));
            }
            catch (JsonProcessingException e) {
                throw new SQLException("migration execution %s has a published replication view that is not JSON: %s".formatted(executionId, e.getMessage()), e);
            }
        }
    }

    /**
     * The data directory ({@code machine:path}) of the replica that runs the service's migration work (V7); empty
     * when none was named yet.
     */
    public static String runner(Connection connection)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT runner FROM ferry_control.service WHERE id = 1");
                ResultSet rows = select.executeQuery()) {
            return rows.next() ? rows.getString(1) : "";
        }
    }

    /**
     * Makes the replica of data directory {@code to} the runner in place of {@code from}, if {@code from} is still the
     * runner (another replica may have taken over first).
     */
    public static boolean takeOverRunner(Connection connection, String from, String to)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("UPDATE ferry_control.service SET runner = ? WHERE id = 1 AND runner = ?")) {
            update.setString(1, to);
            update.setString(2, from);
            return update.executeUpdate() == 1;
        }
    }

    /** The replication lease of the replicas of this control store, as replica {@code holderId} takes it. */
    public CoordinatorLease lease(String holderId, Duration ttl)
    {
        return new CoordinatorLease(jdbcUrl, user, password, holderId, ttl);
    }

    public static void setRunner(Connection connection, String dataDirectory)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("UPDATE ferry_control.service SET runner = ? WHERE id = 1")) {
            update.setString(1, dataDirectory);
            update.executeUpdate();
        }
    }

    public static void updateServiceState(Connection connection, ServiceState state, String message)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement update = connection.prepareStatement("UPDATE service SET state = ?, state_message = ?, update_time = now() WHERE id = 1")) {
            update.setString(1, state.name());
            update.setString(2, message);
            update.executeUpdate();
        }
    }

    /** Records a switch of the front's backend; returns the new generation. */
    public static long switchBackend(Connection connection, ServiceRecord.Backend backend, Optional<String> execution)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE service SET backend = ?, backend_execution = ?, generation = generation + 1, update_time = now() WHERE id = 1 RETURNING generation")) {
            update.setString(1, backend.name());
            update.setString(2, execution.orElse(null));
            try (ResultSet rows = update.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    // ---- migration executions ----

    public static void insertExecution(Connection connection, MigrationExecution execution, SealedPasswords passwords)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO migration_execution (id, create_time, state, phase, state_message, config, connection_password, cdc_password)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, execution.id());
            insert.setTimestamp(2, Timestamp.from(execution.createTime()));
            insert.setString(3, execution.state().name());
            insert.setString(4, execution.phase().name());
            insert.setString(5, execution.stateMessage());
            insert.setString(6, configJson(execution.config()));
            insert.setBytes(7, passwords.connection());
            insert.setBytes(8, passwords.cdc());
            insert.executeUpdate();
        }
    }

    /**
     * Moves an execution to {@code next} if it is in one of {@code expected}; false (and nothing written) if it is
     * not. The compare-and-set that keeps concurrent requests and background work from overwriting each other.
     */
    public static boolean transition(Connection connection, String id, Set<ExecutionState> expected, ExecutionState next, Phase phase, String message)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE migration_execution SET state = ?, phase = ?, state_message = ?, end_time = CASE WHEN ? THEN now() ELSE end_time END
                WHERE id = ? AND state = ANY (?)""")) {
            update.setString(1, next.name());
            update.setString(2, phase.name());
            update.setString(3, message);
            update.setBoolean(4, next.terminal());
            update.setString(5, id);
            update.setArray(6, connection.createArrayOf("text", expected.stream().map(Enum::name).toArray()));
            return update.executeUpdate() == 1;
        }
    }

    public static void updateStateMessage(Connection connection, String id, String message)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement update = connection.prepareStatement("UPDATE migration_execution SET state_message = ? WHERE id = ?")) {
            update.setString(1, message);
            update.setString(2, id);
            update.executeUpdate();
        }
    }

    /** Moves an execution between phases while it stays in {@code state}; false if it is not there. */
    public static boolean changePhase(Connection connection, String id, ExecutionState state, Phase from, Phase to, String message)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement update = connection.prepareStatement("UPDATE migration_execution SET phase = ?, state_message = ? WHERE id = ? AND state = ? AND phase = ?")) {
            update.setString(1, to.name());
            update.setString(2, message);
            update.setString(3, id);
            update.setString(4, state.name());
            update.setString(5, from.name());
            return update.executeUpdate() == 1;
        }
    }

    public static void recordWritePause(Connection connection, String id, long millis)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("UPDATE migration_execution SET write_pause_millis = ? WHERE id = ?")) {
            update.setLong(1, millis);
            update.setString(2, id);
            update.executeUpdate();
        }
    }

    public static boolean deleteExecution(Connection connection, String id)
            throws SQLException
    {
        lockService(connection);
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM migration_execution WHERE id = ?")) {
            delete.setString(1, id);
            return delete.executeUpdate() == 1;
        }
    }

    public Optional<MigrationExecution> execution(String id)
    {
        return inTransaction(connection -> execution(connection, id));
    }

    public static Optional<MigrationExecution> execution(Connection connection, String id)
            throws SQLException
    {
        return byId(connection, EXECUTION_COLUMNS, id, ControlStore::execution);
    }

    /** Every execution, oldest first. */
    public List<MigrationExecution> executions()
    {
        return all(EXECUTION_COLUMNS + " ORDER BY create_time, id", ControlStore::execution);
    }

    @FunctionalInterface
    private interface RowReader<T>
    {
        T read(ResultSet rows)
                throws SQLException;
    }

    private static <T> Optional<T> byId(Connection connection, String columns, String id, RowReader<T> reader)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(columns + " WHERE id = ?")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(reader.read(rows)) : Optional.empty();
            }
        }
    }

    private <T> List<T> all(String query, RowReader<T> reader)
    {
        return inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement(query); ResultSet rows = select.executeQuery()) {
                List<T> items = new ArrayList<>();
                while (rows.next()) {
                    items.add(reader.read(rows));
                }
                return items;
            }
        });
    }

    /**
     * The execution that is live (starting, running, awaiting the user or cancelling), if any; at most one is. Locks
     * its row until the transaction ends: for a transaction that changes it. One that only reads uses
     * {@link #readLiveExecution}, so that a replica paused inside it (a stop signal, a long collection) blocks no
     * other replica's change of the execution.
     */
    public static Optional<MigrationExecution> liveExecution(Connection connection)
            throws SQLException
    {
        return liveExecution(connection, " FOR UPDATE");
    }

    /** The live execution as {@link #liveExecution(Connection)} finds it, without a lock. */
    public static Optional<MigrationExecution> readLiveExecution(Connection connection)
            throws SQLException
    {
        return liveExecution(connection, "");
    }

    private static Optional<MigrationExecution> liveExecution(Connection connection, String lock)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(EXECUTION_COLUMNS
                + " WHERE state IN ('STARTING', 'RUNNING', 'CANCELLING', 'AWAITING_USER_ACTION')" + lock);
                ResultSet rows = select.executeQuery()) {
            return rows.next() ? Optional.of(execution(rows)) : Optional.empty();
        }
    }

    public static Optional<StoredOperation> operation(Connection connection, String id)
            throws SQLException
    {
        return byId(connection, OPERATION_COLUMNS, id, ControlStore::operation);
    }

    /** The live execution, if any, read without a lock: see {@link #liveExecution(Connection)}. */
    public Optional<MigrationExecution> liveExecution()
    {
        return inTransaction(ControlStore::readLiveExecution);
    }

    public SealedPasswords passwords(String id)
    {
        return inTransaction(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT connection_password, cdc_password FROM migration_execution WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        throw new SQLException("no migration execution " + id);
                    }
                    return new SealedPasswords(rows.getBytes(1), rows.getBytes(2));
                }
            }
        });
    }

    private static final String EXECUTION_COLUMNS = "SELECT id, create_time, end_time, state, phase, state_message, config, write_pause_millis FROM migration_execution";

    private static MigrationExecution execution(ResultSet rows)
            throws SQLException
    {
        long pause = rows.getLong(8);
        Optional<Long> writePause = rows.wasNull() ? Optional.empty() : Optional.of(pause);
        return new MigrationExecution(rows.getString(1), instant(rows, 2), optionalInstant(rows, 3), ExecutionState.valueOf(rows.getString(4)),
                Phase.valueOf(rows.getString(5)), rows.getString(6), parseConfig(rows.getString(7)), writePause);
    }

    static String configJson(MigrationConfig config)
    {
        MigrationConfig clear = config.withoutPasswords();
        ObjectNode root = json.createObjectNode();
        ObjectNode connection = root.putObject("connection");
        clear.connection().instanceConnectionName().ifPresent(value -> connection.put("instanceConnectionName", value));
        connection.put("ipAddress", clear.connection().ipAddress());
        connection.put("port", clear.connection().port());
        connection.put("hiveDatabaseName", clear.connection().hiveDatabaseName());
        connection.put("username", clear.connection().username());
        clear.connection().proxySubnet().ifPresent(value -> connection.put("proxySubnet", value));
        clear.connection().natSubnet().ifPresent(value -> connection.put("natSubnet", value));
        ObjectNode tls = connection.putObject("tls");
        tls.put("mode", clear.connection().tls().mode().name());
        clear.connection().tls().caCertificate().ifPresent(value -> tls.put("caCertificate", value));
        ObjectNode cdc = root.putObject("cdc");
        cdc.put("username", clear.cdc().username());
        clear.cdc().vpcNetwork().ifPresent(value -> cdc.put("vpcNetwork", value));
        clear.cdc().subnetIpRange().ifPresent(value -> cdc.put("subnetIpRange", value));
        clear.cdc().reverseProxySubnet().ifPresent(value -> cdc.put("reverseProxySubnet", value));
        clear.cdc().bucket().ifPresent(value -> cdc.put("bucket", value));
        cdc.put("rootPath", clear.cdc().rootPath());
        return root.toString();
    }

    static MigrationConfig parseConfig(String text)
    {
        try {
            JsonNode root = json.readTree(text);
            JsonNode connection = root.get("connection");
            JsonNode cdc = root.get("cdc");
            return new MigrationConfig(
                    new CloudSqlConnectionConfig(optional(connection, "instanceConnectionName"), connection.get("ipAddress").asText(), connection.get("port").asInt(),
                            connection.get("hiveDatabaseName").asText(), connection.get("username").asText(), "",
                            optional(connection, "proxySubnet"), optional(connection, "natSubnet"), tls(connection.get("tls"))),
                    new CdcConfig(cdc.get("username").asText(), "", optional(cdc, "vpcNetwork"), optional(cdc, "subnetIpRange"),
                            optional(cdc, "reverseProxySubnet"), optional(cdc, "bucket"), cdc.get("rootPath").asText()));
        }
        catch (JsonProcessingException e) {
            throw new ControlStoreException("a stored migration config is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A migration stored before TLS was configurable used the default, PREFERRED. */
    private static SourceTls tls(JsonNode node)
    {
        return node == null ? SourceTls.PREFERRED : new SourceTls(SourceTls.Mode.valueOf(node.get("mode").asText()), optional(node, "caCertificate"));
    }

    private static Optional<String> optional(JsonNode node, String field)
    {
        return node.hasNonNull(field) ? Optional.of(node.get(field).asText()) : Optional.empty();
    }

    // ---- Hive version upgrades ----

    public static void insertUpgrade(Connection connection, HiveVersionUpgrade upgrade)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO hive_version_upgrade (id, create_time, state, state_message, from_schema_version, to_schema_version, to_hive_version)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, upgrade.id());
            insert.setTimestamp(2, Timestamp.from(upgrade.createTime()));
            insert.setString(3, upgrade.state().name());
            insert.setString(4, upgrade.stateMessage());
            insert.setString(5, upgrade.fromSchemaVersion());
            insert.setString(6, upgrade.toSchemaVersion());
            insert.setString(7, upgrade.toHiveVersion());
            insert.executeUpdate();
        }
    }

    /**
     * Moves an upgrade to {@code next} if it is in one of {@code expected}, with its end time when {@code next} is
     * terminal; false (and nothing written) if it is not.
     */
    public static boolean transitionUpgrade(Connection connection, String id, Set<HiveVersionUpgrade.State> expected, HiveVersionUpgrade.State next, String message)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE hive_version_upgrade SET state = ?, state_message = ?, end_time = CASE WHEN ? THEN now() ELSE end_time END
                WHERE id = ? AND state = ANY (?)""")) {
            update.setString(1, next.name());
            update.setString(2, message);
            update.setBoolean(3, next.terminal());
            update.setString(4, id);
            update.setArray(5, connection.createArrayOf("text", expected.stream().map(Enum::name).toArray()));
            return update.executeUpdate() == 1;
        }
    }

    public static void recordUpgradeWritePause(Connection connection, String id, long millis)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("UPDATE hive_version_upgrade SET write_pause_millis = ? WHERE id = ?")) {
            update.setLong(1, millis);
            update.setString(2, id);
            update.executeUpdate();
        }
    }

    public Optional<HiveVersionUpgrade> upgrade(String id)
    {
        return inTransaction(connection -> upgrade(connection, id));
    }

    public static Optional<HiveVersionUpgrade> upgrade(Connection connection, String id)
            throws SQLException
    {
        return byId(connection, UPGRADE_COLUMNS, id, ControlStore::upgrade);
    }

    /** The upgrade under way (RUNNING or SWITCHED), if any, locked for the transaction; at most one is. */
    public static Optional<HiveVersionUpgrade> liveUpgrade(Connection connection)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(UPGRADE_COLUMNS + " WHERE state IN ('RUNNING', 'SWITCHED') FOR UPDATE");
                ResultSet rows = select.executeQuery()) {
            return rows.next() ? Optional.of(upgrade(rows)) : Optional.empty();
        }
    }

    /** Every upgrade, oldest first. */
    public List<HiveVersionUpgrade> upgrades()
    {
        return all(UPGRADE_COLUMNS + " ORDER BY create_time, id", ControlStore::upgrade);
    }

    private static final String UPGRADE_COLUMNS = """
            SELECT id, create_time, end_time, state, state_message, from_schema_version, to_schema_version, to_hive_version, write_pause_millis
            FROM hive_version_upgrade""";

    private static HiveVersionUpgrade upgrade(ResultSet rows)
            throws SQLException
    {
        long pause = rows.getLong(9);
        Optional<Long> writePause = rows.wasNull() ? Optional.empty() : Optional.of(pause);
        return new HiveVersionUpgrade(rows.getString(1), instant(rows, 2), optionalInstant(rows, 3), HiveVersionUpgrade.State.valueOf(rows.getString(4)),
                rows.getString(5), rows.getString(6), rows.getString(7), rows.getString(8), writePause);
    }

    // ---- operations ----

    public static void insertOperation(Connection connection, Operation operation)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO operation (id, create_time, target, verb, execution, status_message) VALUES (?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, operation.id());
            insert.setTimestamp(2, Timestamp.from(operation.createTime()));
            insert.setString(3, operation.target());
            insert.setString(4, operation.verb().name());
            insert.setString(5, operation.execution());
            insert.setString(6, operation.statusMessage());
            insert.executeUpdate();
        }
    }

    /** Marks an operation done with its response (rendered JSON) or its error; a done operation is not changed again. */
    public static void finishOperation(Connection connection, String id, Optional<String> response, Optional<Operation.OperationError> error, String statusMessage)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE operation SET done = TRUE, end_time = now(), response = ?, error_code = ?, error_status = ?, error_message = ?, status_message = ?,
                  error_reason = ?
                WHERE id = ? AND NOT done""")) {
            update.setString(1, response.orElse(null));
            if (error.isPresent()) {
                update.setInt(2, error.get().code());
                update.setString(3, error.get().status());
                update.setString(4, error.get().message());
            }
            else {
                update.setNull(2, Types.INTEGER);
                update.setNull(3, Types.VARCHAR);
                update.setNull(4, Types.VARCHAR);
            }
            update.setString(5, statusMessage);
            update.setString(6, error.flatMap(Operation.OperationError::reason).orElse(null));
            update.setString(7, id);
            update.executeUpdate();
        }
    }

    public static void updateOperationStatus(Connection connection, String id, String statusMessage)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement("UPDATE operation SET status_message = ? WHERE id = ? AND NOT done")) {
            update.setString(1, statusMessage);
            update.setString(2, id);
            update.executeUpdate();
        }
    }

    /** An operation and, once done with a result, the response JSON it was finished with. */
    public record StoredOperation(Operation operation, Optional<String> response) {}

    public Optional<StoredOperation> operation(String id)
    {
        return inTransaction(connection -> operation(connection, id));
    }

    /** Every operation, oldest first. */
    public List<StoredOperation> operations()
    {
        return all(OPERATION_COLUMNS + " ORDER BY create_time, id", ControlStore::operation);
    }

    /** Operations not yet done: work a restart must finish. */
    public List<Operation> unfinishedOperations()
    {
        return operations().stream().map(StoredOperation::operation).filter(operation -> !operation.done()).collect(Collectors.toList());
    }

    /** The operations not done yet, oldest first. */
    public static List<Operation> unfinishedOperations(Connection connection)
            throws SQLException
    {
        List<Operation> unfinished = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(OPERATION_COLUMNS + " WHERE NOT done ORDER BY create_time, id");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                unfinished.add(operation(rows).operation());
            }
        }
        return unfinished;
    }

    private static final String OPERATION_COLUMNS = """
            SELECT id, create_time, end_time, target, verb, execution, done, error_code, error_status, error_message, status_message,
                   requested_cancellation, response, error_reason FROM operation""";

    private static StoredOperation operation(ResultSet rows)
            throws SQLException
    {
        String errorStatus = rows.getString(9);
        Optional<Operation.OperationError> error = errorStatus == null ? Optional.empty()
                : Optional.of(new Operation.OperationError(rows.getInt(8), errorStatus, rows.getString(10), Optional.ofNullable(rows.getString(14))));
        Operation operation = new Operation(rows.getString(1), instant(rows, 2), optionalInstant(rows, 3), rows.getString(4), Verb.valueOf(rows.getString(5)),
                rows.getString(6), rows.getBoolean(7), error, rows.getString(11), rows.getBoolean(12));
        return new StoredOperation(operation, Optional.ofNullable(rows.getString(13)));
    }

    // ---- request ids ----

    /** A request id seen before: the method it was sent with and the operation it started. */
    public record SeenRequest(String method, String operation) {}

    /** What a request id was used for within {@code window}, if anything. */
    public static Optional<SeenRequest> seenRequest(Connection connection, UUID requestId, Duration window)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT method, operation FROM request WHERE request_id = ? AND create_time > ?")) {
            select.setObject(1, requestId);
            select.setTimestamp(2, Timestamp.from(Instant.now().minus(window)));
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(new SeenRequest(rows.getString(1), rows.getString(2))) : Optional.empty();
            }
        }
    }

    public static void recordRequest(Connection connection, UUID requestId, String method, String operation)
            throws SQLException
    {
        try (PreparedStatement upsert = connection.prepareStatement("""
                INSERT INTO request (request_id, method, operation, create_time) VALUES (?, ?, ?, now())
                ON CONFLICT (request_id) DO UPDATE SET method = EXCLUDED.method, operation = EXCLUDED.operation, create_time = EXCLUDED.create_time""")) {
            upsert.setObject(1, requestId);
            upsert.setString(2, method);
            upsert.setString(3, operation);
            upsert.executeUpdate();
        }
    }

    /**
     * Serialises every change of the service and its executions: takes the service row's lock until the transaction
     * ends. Each transaction that changes an execution or the service takes it first (before any other lock), so
     * concurrent startMigration, completeMigration, cancelMigration and delete calls, and the control plane's
     * background work, run one after the other and each sees what the one before it committed: a loser gets
     * FAILED_PRECONDITION, never the unique index on the live execution.
     */
    public static void lockService(Connection connection)
            throws SQLException
    {
        try (PreparedStatement lock = connection.prepareStatement("SELECT id FROM service WHERE id = 1 FOR UPDATE")) {
            lock.executeQuery().close();
        }
    }

    /** Serialises request-id handling across concurrent requests (one Ferry process writes the control store). */
    public static void lockRequests(Connection connection)
            throws SQLException
    {
        try (PreparedStatement lock = connection.prepareStatement("LOCK TABLE request IN SHARE ROW EXCLUSIVE MODE")) {
            lock.execute();
        }
    }

    // ---- tokens ----

    public void insertToken(StoredToken token)
    {
        inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO token (id, principal, role, token_hash, create_time, expire_time) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, token.id());
                insert.setString(2, token.principal());
                insert.setString(3, token.role());
                insert.setString(4, token.hash());
                insert.setTimestamp(5, Timestamp.from(token.createTime()));
                insert.setTimestamp(6, token.expireTime().map(Timestamp::from).orElse(null));
                insert.executeUpdate();
            }
            return null;
        });
    }

    public boolean revokeToken(String id)
    {
        return inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE token SET revoke_time = now() WHERE id = ? AND revoke_time IS NULL")) {
                update.setString(1, id);
                return update.executeUpdate() == 1;
            }
        });
    }

    public List<StoredToken> tokens()
    {
        return all("SELECT id, principal, role, token_hash, create_time, revoke_time, expire_time FROM token ORDER BY create_time, id",
                rows -> new StoredToken(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4), instant(rows, 5), optionalInstant(rows, 6),
                        optionalInstant(rows, 7)));
    }

    private static Instant instant(ResultSet rows, int column)
            throws SQLException
    {
        // PostgreSQL keeps microseconds; truncating here keeps what was written and what is read back equal.
        return rows.getTimestamp(column).toInstant().truncatedTo(ChronoUnit.MICROS);
    }

    private static Optional<Instant> optionalInstant(ResultSet rows, int column)
            throws SQLException
    {
        Timestamp timestamp = rows.getTimestamp(column);
        return timestamp == null ? Optional.empty() : Optional.of(timestamp.toInstant().truncatedTo(ChronoUnit.MICROS));
    }
}
