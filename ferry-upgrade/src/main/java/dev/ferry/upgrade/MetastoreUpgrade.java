package dev.ferry.upgrade;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.upgrade.Catalog.quote;
import static java.util.Objects.requireNonNull;

/**
 * Upgrades the own database's metastore to a newer Hive schema version while the older engine keeps serving it
 * (docs/DESIGN.md, "Upgrading the Hive version"):
 *
 * <ol>
 * <li>{@link #prepare}, writes flowing: triggers on the live tables log every change; the live tables are copied, in
 * one snapshot, into a schema of their own ({@value #COPY_SCHEMA}) that Hive's schema tool created at the live
 * version; Hive's upgrade scripts upgrade the copy.</li>
 * <li>{@link #catchUp} and {@link #verify}, writes flowing: the changes logged since are replayed into the copy;
 * {@code verify} compares every table of the copy with the live one in the snapshot it replayed.</li>
 * <li>{@link #finish}, writes held: the last changes are replayed and those rows compared, the copy's id generators
 * raised to the live ones'.</li>
 * <li>{@link #switchOver}, writes held and the front already on an engine of the new version that reads the copy:
 * in one transaction, the live tables move to a schema named after their version and the copy's tables take their
 * place, with whatever the caller records.</li>
 * </ol>
 *
 * Nothing outside the bookkeeping schema {@value ChangeCapture#SCHEMA}, the copy and the triggers is written before
 * the switch; {@link #abort} removes them, and so does {@link #settle} after a crash before the switch.
 */
public final class MetastoreUpgrade
{
    private static final Logger log = LoggerFactory.getLogger(MetastoreUpgrade.class);
    static final String COPY_SCHEMA = "ferry_upgrade_copy";

    public enum State
    {
        PREPARED,
        FINISHED,
        SWITCHED,
        ABORTED,
    }

    /** How an upgrade interrupted by a crash or a stop was settled. */
    public enum Settled
    {
        /** No upgrade was under way. */
        NOTHING,
        /** It had not switched: the copy and the triggers were removed, the live metastore is as it was. */
        ROLLED_BACK,
        /** It had switched: the upgraded metastore is live; the bookkeeping was removed. */
        SWITCHED,
    }

    /** What the last pass under the hold did and how long the steps took. */
    public record Finish(long changes, long replayMillis, long checkMillis, long generatorsMillis) {}

    /** An id generator the old schema kept in a table and the new one in a sequence. */
    private record MovedGenerator(String liveTable, String liveColumn, String copySequence, String copyTable, String copyColumn) {}

    /**
     * Hive 4.0's upgrade replaces NEXT_TXN_ID (the next transaction id, in a table) by a sequence on TXNS.TXN_ID
     * that it starts at the highest id TXNS holds then; ids the old engine handed out since must not come again.
     */
    private static final List<MovedGenerator> MOVED_GENERATORS = List.of(new MovedGenerator("next_txn_id", "ntxn_next", "TXNS_TXN_ID_SEQ", "TXNS", "TXN_ID"));

    private final String id;
    private final PostgresDatabase database;
    private final String liveSchema;
    private final String fromVersion;
    private final String toVersion;
    private final UpgradeScripts scripts;
    private final Map<String, Catalog.Table> live;
    private final Map<String, Catalog.Table> copy;
    private final Replay replay;
    private final Comparison.Summary upgradeDelta;
    private final AtomicReference<State> state = new AtomicReference<>(State.PREPARED);

    private MetastoreUpgrade(String id, PostgresDatabase database, String liveSchema, String fromVersion, String toVersion, UpgradeScripts scripts,
            Map<String, Catalog.Table> live, Map<String, Catalog.Table> copy, Comparison.Summary upgradeDelta)
    {
        this.id = id;
        this.database = database;
        this.liveSchema = liveSchema;
        this.fromVersion = fromVersion;
        this.toVersion = toVersion;
        this.scripts = scripts;
        this.live = Map.copyOf(live);
        this.copy = Map.copyOf(copy);
        this.replay = new Replay(live, copy, scripts.fills());
        this.upgradeDelta = upgradeDelta;
    }

    /**
     * Captures changes to the live metastore, copies it and upgrades the copy with Hive's scripts from
     * {@code upgradeScripts} (the new version's {@code scripts/metastore/upgrade}), while the live one is served.
     */
    public static MetastoreUpgrade prepare(String id, PostgresDatabase database, Path upgradeScripts, String fromVersion, String toVersion, SchemaTool schemaTool)
    {
        requireNonNull(id, "id is null");
        requireNonNull(database, "database is null");
        UpgradeScripts scripts = UpgradeScripts.of(upgradeScripts, fromVersion, toVersion);
        boolean started = false;
        try (Connection connection = database.connect()) {
            String liveSchema = Catalog.currentSchema(connection);
            String retired = retiredSchema(fromVersion);
            if (Catalog.schemaExists(connection, retired) || Catalog.schemaExists(connection, COPY_SCHEMA)) {
                throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "the own database %s already has schema %s or %s: an upgrade from %s ran before or is under way"
                        .formatted(database.jdbcUrl(), retired, COPY_SCHEMA, fromVersion));
            }
            ChangeCapture.createSchema(connection);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO ferry_upgrade.upgrade (id, live_schema, copy_schema, from_version, to_version, state) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, id);
                insert.setString(2, liveSchema);
                insert.setString(3, COPY_SCHEMA);
                insert.setString(4, fromVersion);
                insert.setString(5, toVersion);
                insert.setString(6, State.PREPARED.name());
                insert.executeUpdate();
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA " + quote(COPY_SCHEMA));
            }
            connection.commit();
            started = true;

            long began = System.nanoTime();
            schemaTool.initialize(fromVersion, COPY_SCHEMA);
            Map<String, Catalog.Table> metastore = Catalog.tables(connection, COPY_SCHEMA);
            Map<String, Catalog.Table> live = Catalog.tables(connection, liveSchema);
            List<String> missing = metastore.keySet().stream().filter(table -> !live.containsKey(table)).toList();
            if (!missing.isEmpty()) {
                throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "schema %s of the own database lacks tables of Hive's metastore schema %s: %s"
                        .formatted(liveSchema, fromVersion, missing));
            }
            live.keySet().retainAll(metastore.keySet());
            ChangeCapture.install(connection, liveSchema, live.keySet());
            long triggers = System.nanoTime();

            Comparison.Summary before = copy(connection, liveSchema, metastore);
            long copied = System.nanoTime();
            schemaTool.upgrade(fromVersion, toVersion, COPY_SCHEMA);
            Map<String, Catalog.Table> upgraded = Catalog.tables(connection, COPY_SCHEMA);
            Comparison.Summary after = Comparison.summarize(connection, upgraded);
            connection.commit();
            log.info("Metastore upgrade {}: {} tables of schema {} copied to {} and upgraded to {} with Hive's scripts {} (triggers {} ms, copy {} ms, upgrade {} ms)",
                    id, live.size(), liveSchema, COPY_SCHEMA, toVersion, scripts.steps(), (triggers - began) / 1_000_000, (copied - triggers) / 1_000_000,
                    (System.nanoTime() - copied) / 1_000_000);
            return new MetastoreUpgrade(id, database, liveSchema, fromVersion, toVersion, scripts, live, upgraded, Comparison.delta(before, after));
        }
        catch (SQLException | RuntimeException e) {
            if (started) {
                try {
                    settle(database);
                }
                catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e instanceof SQLException sql ? unavailable(database, "prepare the upgrade", sql) : (RuntimeException) e;
        }
    }

    /**
     * Copies every live table into the copy in one snapshot, which also empties the change log of what that snapshot
     * holds, and returns the copy's summary before Hive's scripts change it.
     */
    private static Comparison.Summary copy(Connection connection, String liveSchema, Map<String, Catalog.Table> metastore)
            throws SQLException
    {
        connection.commit();
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM ferry_upgrade.change");
            // Hive's foreign keys are not deferrable and some form cycles (WM_RESOURCEPLAN and WM_POOL refer to each
            // other): they are set aside for the copy and added again after it, which checks every row.
            List<Catalog.ForeignKey> keys = Catalog.foreignKeys(connection, COPY_SCHEMA);
            for (Catalog.ForeignKey key : keys) {
                statement.execute("ALTER TABLE %s.%s DROP CONSTRAINT %s".formatted(quote(COPY_SCHEMA), quote(key.table()), quote(key.name())));
            }
            for (String table : metastore.keySet()) {
                statement.execute("DELETE FROM %s".formatted(metastore.get(table).qualified()));
                String columns = String.join(", ", metastore.get(table).columns().stream().map(Catalog::quote).toList());
                statement.execute("INSERT INTO %s (%s) SELECT %s FROM %s.%s".formatted(metastore.get(table).qualified(), columns, columns, quote(liveSchema), quote(table)));
            }
            for (Catalog.ForeignKey key : keys) {
                statement.execute("ALTER TABLE %s.%s ADD CONSTRAINT %s %s".formatted(quote(COPY_SCHEMA), quote(key.table()), quote(key.name()), key.definition()));
            }
            for (Catalog.OwnedSequence sequence : Catalog.ownedSequences(connection, COPY_SCHEMA)) {
                if (!sequenceExists(connection, liveSchema, sequence.name())) {
                    continue;
                }
                statement.execute("SELECT setval('%s.%s', (SELECT last_value FROM %s.%s), (SELECT is_called FROM %s.%s))".formatted(
                        quote(COPY_SCHEMA), quote(sequence.name()), quote(liveSchema), quote(sequence.name()), quote(liveSchema), quote(sequence.name())));
            }
            Comparison.Summary summary = Comparison.summarize(connection, metastore);
            connection.commit();
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            return summary;
        }
        catch (SQLException | RuntimeException e) {
            connection.rollback();
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            throw e;
        }
    }

    /** The search path of an engine that serves the copy before the switch and the same tables after it. */
    public String copySearchPath()
    {
        return COPY_SCHEMA + "," + liveSchema;
    }

    public String liveSchema()
    {
        return liveSchema;
    }

    public State state()
    {
        return state.get();
    }

    /** One pass of replay while writes flow: what changed since the last pass is replayed into the copy. */
    public Replay.Pass catchUp()
    {
        expect(State.PREPARED);
        return inSnapshot("catch up", connection -> {
            Replay.Pass pass = replay.replay(connection);
            rewrite(connection, pass);
            return pass;
        });
    }

    /**
     * A pass of replay and, in the same snapshot, a comparison of every table of the copy with the live one: they
     * must differ exactly as the upgrade changed the copy.
     *
     * @throws UpgradeException {@link UpgradeException.Reason#VERIFICATION_FAILED} naming what differs
     */
    public Replay.Pass verify()
    {
        expect(State.PREPARED);
        return inSnapshot("verify", connection -> {
            Replay.Pass pass = replay.replay(connection);
            rewrite(connection, pass);
            long began = System.nanoTime();
            List<String> differences = Comparison.unexplained(Comparison.summarize(connection, live), Comparison.summarize(connection, copy), upgradeDelta);
            if (!differences.isEmpty()) {
                throw new UpgradeException(UpgradeException.Reason.VERIFICATION_FAILED, "the upgraded copy differs from the live metastore beyond what the upgrade changed: "
                        + String.join("; ", differences));
            }
            log.info("Metastore upgrade {}: every table of the upgraded copy compared with the live one, no difference beyond the upgrade's ({} ms)", id,
                    (System.nanoTime() - began) / 1_000_000);
            return pass;
        });
    }

    /**
     * With writes held: replays the last changes, compares the rows they touched, and raises the copy's id
     * generators to the live ones'.
     */
    public Finish finish()
    {
        expect(State.PREPARED);
        Finish finish = inSnapshot("finish", connection -> {
            long began = System.nanoTime();
            Replay.Pass pass = replay.replay(connection);
            rewrite(connection, pass);
            long replayed = System.nanoTime();
            List<String> differences = Comparison.touchedRows(connection, live, copy, pass.touched());
            if (!differences.isEmpty()) {
                throw new UpgradeException(UpgradeException.Reason.VERIFICATION_FAILED, "rows changed last differ between the upgraded copy and the live metastore: "
                        + String.join("; ", differences));
            }
            long checked = System.nanoTime();
            raiseGenerators(connection);
            return new Finish(pass.changes(), (replayed - began) / 1_000_000, (checked - replayed) / 1_000_000, (System.nanoTime() - checked) / 1_000_000);
        });
        transition(State.PREPARED, State.FINISHED);
        return finish;
    }

    /** Every sequence of the copy at least at the live one's value and above every id its column holds. */
    private void raiseGenerators(Connection connection)
            throws SQLException
    {
        try (Statement statement = connection.createStatement()) {
            for (Catalog.OwnedSequence sequence : Catalog.ownedSequences(connection, COPY_SCHEMA)) {
                List<String> candidates = new ArrayList<>();
                candidates.add("(SELECT max(%s) FROM %s.%s)".formatted(quote(sequence.column()), quote(COPY_SCHEMA), quote(sequence.table())));
                if (sequenceExists(connection, liveSchema, sequence.name())) {
                    candidates.add("(SELECT last_value FROM %s.%s)".formatted(quote(liveSchema), quote(sequence.name())));
                }
                for (MovedGenerator moved : MOVED_GENERATORS) {
                    if (moved.copySequence().equals(sequence.name()) && live.containsKey(moved.liveTable())) {
                        candidates.add("(SELECT max(%s) - 1 FROM %s.%s)".formatted(quote(moved.liveColumn()), quote(liveSchema), quote(moved.liveTable())));
                    }
                }
                statement.execute("SELECT setval('%s.%s', greatest(1, %s))".formatted(quote(COPY_SCHEMA), quote(sequence.name()), String.join(", ", candidates)));
            }
        }
    }

    private static boolean sequenceExists(Connection connection, String schema, String name)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = ? AND c.relname = ?")) {
            select.setString(1, schema);
            select.setString(2, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Runs the upgrade's idempotent data statements again over the copy for the tables a pass touched. */
    private void rewrite(Connection connection, Replay.Pass pass)
            throws SQLException
    {
        List<UpgradeScripts.Rewrite> rewrites = scripts.rewritesTouching(pass.touched().keySet());
        if (rewrites.isEmpty()) {
            return;
        }
        try (Statement statement = connection.createStatement()) {
            // Hive's statements name tables without a schema; the rest of the transaction names every table in full.
            statement.execute("SET LOCAL search_path = " + quote(COPY_SCHEMA));
            for (UpgradeScripts.Rewrite rewrite : rewrites) {
                statement.execute(rewrite.sql());
            }
        }
    }

    /** A statement for the caller to run in the switch's transaction (the control store's record of it). */
    @FunctionalInterface
    public interface InSwitch
    {
        void run(Connection connection)
                throws SQLException;
    }

    /**
     * Makes the upgraded copy the live metastore in one transaction: the live tables (triggers dropped) move to
     * schema {@code ferry_hive_VERSION} of the old version, the copy's tables to the live schema; then
     * {@code inSwitch} runs and everything commits together. An engine whose search path is
     * {@link #copySearchPath()} reads the same tables before and after.
     */
    public void switchOver(InSwitch inSwitch)
    {
        expect(State.FINISHED);
        String retired = retiredSchema(fromVersion);
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
                statement.execute("SET LOCAL lock_timeout = '10s'");
                Map<String, Catalog.Table> upgraded = Catalog.tables(connection, COPY_SCHEMA);
                // Every table first, in one statement: readers of the engines hold a table while they ask for the next,
                // so taking them one by one as the statements below go could deadlock with a reader. NOWAIT does not
                // wait while holding some: when a reader has one, everything is let go and tried again shortly.
                List<String> tables = new ArrayList<>();
                live.keySet().forEach(table -> tables.add(quote(liveSchema) + "." + quote(table)));
                upgraded.keySet().forEach(table -> tables.add(quote(COPY_SCHEMA) + "." + quote(table)));
                statement.execute("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE%s".formatted(String.join(", ", tables), attempt <= LOCK_TRIES ? " NOWAIT" : ""));
                // Writes are held while this runs: a few hundred statements, sent in one batch rather than one round trip each.
                List<String> statements = new ArrayList<>();
                statements.add("CREATE SCHEMA " + quote(retired));
                statements.addAll(ChangeCapture.dropTriggerStatements(liveSchema, live.keySet()));
                for (String table : live.keySet()) {
                    statements.add("ALTER TABLE %s.%s SET SCHEMA %s".formatted(quote(liveSchema), quote(table), quote(retired)));
                }
                for (String table : upgraded.keySet()) {
                    statements.add("ALTER TABLE %s.%s SET SCHEMA %s".formatted(quote(COPY_SCHEMA), quote(table), quote(liveSchema)));
                }
                statements.add("DROP SCHEMA " + quote(COPY_SCHEMA));
                for (String sql : statements) {
                    statement.addBatch(sql);
                }
                statement.executeBatch();
                try (PreparedStatement update = connection.prepareStatement("UPDATE ferry_upgrade.upgrade SET state = ? WHERE id = ?")) {
                    update.setString(1, State.SWITCHED.name());
                    update.setString(2, id);
                    update.executeUpdate();
                }
                inSwitch.run(connection);
                connection.commit();
                if (attempt > 1) {
                    log.info("Metastore upgrade {}: the switch took the tables' locks at attempt {}", id, attempt);
                }
                break;
            }
            catch (SQLException e) {
                if (!lockConflict(e) || attempt >= LOCK_TRIES + 2) {
                    throw unavailable(database, "switch to the upgraded metastore", e);
                }
                try {
                    Thread.sleep(LOCK_RETRY_PAUSE_MILLIS);
                }
                catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw unavailable(database, "switch to the upgraded metastore (interrupted)", e);
                }
            }
        }
        transition(State.FINISHED, State.SWITCHED);
        log.info("Metastore upgrade {}: the upgraded metastore (schema {}) is live in schema {}; the tables of schema {} are kept in schema {}", id, toVersion, liveSchema,
                fromVersion, retired);
    }

    /** Tries of the switch's locks without waiting (10 ms apart), before one that waits (and a last one after a deadlock). */
    private static final int LOCK_TRIES = 200;
    private static final long LOCK_RETRY_PAUSE_MILLIS = 10;

    /** A lock another session held (NOWAIT), or a deadlock PostgreSQL broke by aborting the switch: worth another try. */
    private static boolean lockConflict(SQLException e)
    {
        for (SQLException current = e; current != null; current = current.getNextException()) {
            if ("55P03".equals(current.getSQLState()) || "40P01".equals(current.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** Removes the copy, the triggers and the bookkeeping: the live metastore is as it was before {@link #prepare}. */
    public void abort()
    {
        State current = state.get();
        if (current == State.SWITCHED || !state.compareAndSet(current, State.ABORTED)) {
            throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "metastore upgrade %s is %s; only one that has not switched can be aborted".formatted(id, state.get()));
        }
        rollBack(database, liveSchema, live.keySet());
        log.info("Metastore upgrade {} aborted: copy, triggers and change log removed; schema {} serves as before", id, liveSchema);
    }

    /** After the switch: removes the bookkeeping (the change log, the trigger function). */
    public void forget()
    {
        expect(State.SWITCHED);
        dropBookkeeping(database);
    }

    /**
     * After Ferry stopped or crashed with an upgrade under way: rolls back one that had not switched, and forgets one
     * that had. Safe to call when nothing was under way.
     */
    public static Settled settle(PostgresDatabase database)
    {
        try (Connection connection = database.connect()) {
            if (!Catalog.schemaExists(connection, ChangeCapture.SCHEMA)) {
                return Settled.NOTHING;
            }
            Optional<String[]> row = Optional.empty();
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT state, live_schema FROM ferry_upgrade.upgrade")) {
                if (rows.next()) {
                    row = Optional.of(new String[] {rows.getString(1), rows.getString(2)});
                }
            }
            connection.commit();
            if (row.isPresent() && row.get()[0].equals(State.SWITCHED.name())) {
                dropBookkeeping(database);
                return Settled.SWITCHED;
            }
            String liveSchema = row.map(values -> values[1]).orElse(Catalog.currentSchema(connection));
            rollBack(database, liveSchema, Catalog.tables(connection, liveSchema).keySet());
            return Settled.ROLLED_BACK;
        }
        catch (SQLException e) {
            throw unavailable(database, "settle an interrupted upgrade", e);
        }
    }

    private static void rollBack(PostgresDatabase database, String liveSchema, Collection<String> tables)
    {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS %s CASCADE".formatted(quote(COPY_SCHEMA)));
            connection.commit();
            if (Catalog.schemaExists(connection, ChangeCapture.SCHEMA)) {
                ChangeCapture.remove(connection, liveSchema, tables);
            }
        }
        catch (SQLException e) {
            throw unavailable(database, "remove the upgrade's copy and triggers", e);
        }
        dropBookkeeping(database);
    }

    private static void dropBookkeeping(PostgresDatabase database)
    {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS %s CASCADE".formatted(ChangeCapture.SCHEMA));
            connection.commit();
        }
        catch (SQLException e) {
            throw unavailable(database, "remove the upgrade's change log", e);
        }
    }

    /** Where the old version's tables are kept after the switch: {@code ferry_hive_3_1_0}. */
    static String retiredSchema(String version)
    {
        return "ferry_hive_" + version.replaceAll("[^0-9A-Za-z]", "_");
    }

    @FunctionalInterface
    private interface SnapshotWork<T>
    {
        T run(Connection connection)
                throws SQLException;
    }

    private <T> T inSnapshot(String step, SnapshotWork<T> work)
    {
        try (Connection connection = database.connect()) {
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            }
            catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
        catch (SQLException e) {
            throw unavailable(database, step, e);
        }
    }

    private void expect(State expected)
    {
        if (state.get() != expected) {
            throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "metastore upgrade %s is %s; this step needs it %s".formatted(id, state.get(), expected));
        }
    }

    private void transition(State expected, State next)
    {
        if (!state.compareAndSet(expected, next)) {
            throw new UpgradeException(UpgradeException.Reason.ILLEGAL_STATE, "metastore upgrade %s cannot go from %s to %s: it is %s".formatted(id, expected, next, state.get()));
        }
        log.info("Metastore upgrade {}: {} -> {}", id, expected, next);
    }

    private static UpgradeException unavailable(PostgresDatabase database, String step, SQLException e)
    {
        return new UpgradeException(UpgradeException.Reason.OWN_DATABASE_UNAVAILABLE, "cannot %s on the own database %s: %s".formatted(step, database.jdbcUrl(), e.getMessage()), e);
    }
}
