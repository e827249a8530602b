package dev.ferry.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import dev.ferry.control.model.CdcConfig;
import dev.ferry.control.model.CloudSqlConnectionConfig;
import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.MigrationConfig;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.Verb;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlStoreException;
import dev.ferry.replication.source.SourceTls;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the control plane records in the control store, on a real PostgreSQL.
 * <p>
 * A failure whose message PostgreSQL refuses (a NUL, as a source server's error may quote one) is still recorded,
 * without its control characters: the execution leaves STARTING and the operation ends with the error.
 * <p>
 * A replica paused inside a transaction of the control store (SIGSTOP, a long collection, a frozen VM) keeps its
 * session's locks until it runs again. On a real PostgreSQL: the reads every replica makes each second lock nothing, so
 * a pause inside one blocks no other replica's completeMigration; and a paused session that does hold a lock loses it,
 * with its session, after the paused-transaction timeout (the default {@code replicas.dead-after}, 10 s).
 * <p>
 * Sessions are kept between transactions (opening one costs tens of ms on a busy host): a failed transaction's
 * changes do not outlive it in its kept session, and a kept session the server ended is replaced.
 */
class ControlStoreRecordsTest
{
    private static EmbeddedPostgresServer postgres;
    private static ControlStore store;
    private static String jdbcUrl;

    @BeforeAll
    static void start()
    {
        postgres = EmbeddedPostgresServer.start();
        jdbcUrl = postgres.createDatabase("control");
        store = ControlStore.open(jdbcUrl, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    @AfterAll
    static void stop()
    {
        if (store != null) {
            store.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aMessageWithNulIsRecordedWithoutControlCharacters()
    {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        MigrationConfig config = config();
        Operation operation = Operations.newOperation(now, "projects/p/locations/l/services/s", Verb.START, id, "checking the source");
        store.inTransaction(connection -> {
            ControlStore.insertExecution(connection, new MigrationExecution(id, now, Optional.empty(), ExecutionState.STARTING, Phase.REPLICATION, "connecting", config.withoutPasswords(),
                    Optional.empty()), new ControlStore.SealedPasswords(new byte[1], new byte[1]));
            ControlStore.insertOperation(connection, operation);
            return null;
        });
        Operation.OperationError error = Operations.error(ErrorCode.FAILED_PRECONDITION, "Access denied for user 'hi\u0000ve'@'host'\nline two");

        Operations.recordFailure(id, clean -> store.inTransaction(connection -> {
            ControlStore.transition(connection, id, Set.of(ExecutionState.STARTING), ExecutionState.FAILED, Phase.REPLICATION, clean.apply(error.message()));
            ControlStore.finishOperation(connection, operation.id(), Optional.empty(), Optional.of(Operations.cleaned(error, clean)), "failed");
            return null;
        }));

        MigrationExecution failed = store.execution(id).orElseThrow();
        assertThat(failed.state()).isEqualTo(ExecutionState.FAILED);
        assertThat(failed.stateMessage()).isEqualTo("Access denied for user 'hive'@'host'line two");
        Operation done = store.operation(operation.id()).orElseThrow().operation();
        assertThat(done.done()).isTrue();
        assertThat(done.error().orElseThrow().message()).isEqualTo("Access denied for user 'hive'@'host'line two");
    }

    @Test
    void logTextIsEscaped()
    {
        assertThat(Text.escaped("a\nb\"c\u0000d\\")).isEqualTo("a\\nb\\\"c\\u0000d\\\\");
        assertThat(Text.escaped("a\nb")).doesNotContain("\n");
    }

    @Test
    void aReplicaPausedWhileItReadsTheLiveExecutionBlocksNoChangeOfIt()
            throws Exception
    {
        String id = runningExecution();
        try (Connection paused = store.dedicatedConnection("ferry/paused/control")) {
            // What tendOwnEngineAhead, takeOverIfRunnerDead and the switch follower read, left open as a paused replica would.
            assertThat(ControlStore.readLiveExecution(paused).map(MigrationExecution::id)).contains(id);

            long started = System.nanoTime();
            boolean changed = store.inTransaction(connection -> {
                lockTimeout(connection, Duration.ofSeconds(2));
                ControlStore.lockService(connection);
                ControlStore.liveExecution(connection).orElseThrow();
                return ControlStore.changePhase(connection, id, ExecutionState.RUNNING, Phase.REPLICATION, Phase.CUTOVER, "cutover: switching to the own database");
            });
            assertThat(changed).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(store.liveExecution().map(MigrationExecution::phase)).contains(Phase.CUTOVER);
            paused.rollback();
        }
        finish(id);
    }

    @Test
    void aPausedSessionThatHoldsALockLosesItAfterThePausedTransactionTimeout()
            throws Exception
    {
        String id = runningExecution();
        try (Connection paused = store.dedicatedConnection("ferry/paused/control")) {
            // A change under way when the replica paused: the execution's row and the service's row locked.
            ControlStore.lockService(paused);
            assertThat(ControlStore.liveExecution(paused)).isPresent();

            long started = System.nanoTime();
            store.inTransaction(connection -> {
                // Without the timeout the change would wait for as long as the replica is paused: failed here instead.
                lockTimeout(connection, Duration.ofSeconds(40));
                ControlStore.lockService(connection);
                ControlStore.updateStateMessage(connection, id, "changed once the paused replica's session ended");
                return null;
            });
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            // The timeout is 10 s: the change waited for it, and no longer than a slow machine adds.
            assertThat(waited).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(40));
            assertThat(store.execution(id).orElseThrow().stateMessage()).isEqualTo("changed once the paused replica's session ended");

            // The paused replica, running again, finds its session ended: its transaction commits nothing.
            assertThatThrownBy(() -> ControlStore.updateStateMessage(paused, id, "written by the paused replica"))
                    .isInstanceOfAny(SQLException.class, ControlStoreException.class);
        }
        assertThat(store.execution(id).orElseThrow().stateMessage()).isEqualTo("changed once the paused replica's session ended");
        finish(id);
    }

    @Test
    void sessionsAreKeptBetweenTransactionsAndOneTheServerEndedIsReplaced()
            throws Exception
    {
        int first = store.inTransaction(ControlStoreRecordsTest::backendPid);
        assertThat(store.inTransaction(ControlStoreRecordsTest::backendPid)).isEqualTo(first);

        // A transaction that failed is rolled back before its session is kept: the next one sees none of it.
        String id = runningExecution();
        assertThatThrownBy(() -> store.inTransaction(connection -> {
            ControlStore.updateStateMessage(connection, id, "written by a transaction that failed");
            throw new IllegalStateException("failed after a write");
        })).hasMessage("failed after a write");
        assertThat(store.inTransaction(ControlStoreRecordsTest::backendPid)).isEqualTo(first);
        assertThat(store.execution(id).orElseThrow().stateMessage()).isEqualTo("streaming");

        // Ended by the server (a restart, an administrator) while kept: checked before its next use, and replaced.
        try (Connection admin = store.dedicatedConnection("ferry/test/admin"); Statement statement = admin.createStatement()) {
            statement.execute("SELECT pg_terminate_backend(%d)".formatted(first));
            admin.commit();
        }
        Thread.sleep(1_100);
        int replaced = store.inTransaction(ControlStoreRecordsTest::backendPid);
        assertThat(replaced).isNotEqualTo(first);
        assertThat(store.inTransaction(ControlStoreRecordsTest::backendPid)).isEqualTo(replaced);
        finish(id);

        // A new session whose first transaction failed is kept, and still finds the control store's tables (found by
        // HiveVersionUpgradeTest: the schema set inside that transaction was undone by its rollback). A transaction
        // inside another takes a second session: here a new one, then that one again.
        try (ControlStore fresh = ControlStore.open(jdbcUrl, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD)) {
            fresh.inTransaction(outer -> {
                assertThatThrownBy(() -> fresh.inTransaction(inner -> {
                    ControlStore.lockRequests(inner);
                    throw new IllegalStateException("failed in the session's first transaction");
                })).hasMessage("failed in the session's first transaction");
                return null;
            });
            Optional<String> found = fresh.inTransaction(outer -> fresh.inTransaction(inner -> {
                ControlStore.lockRequests(inner);
                return ControlStore.execution(inner, id).map(MigrationExecution::id);
            }));
            assertThat(found).contains(id);
        }
    }

    private static int backendPid(Connection connection)
            throws SQLException
    {
        try (Statement statement = connection.createStatement(); java.sql.ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
            result.next();
            return result.getInt(1);
        }
    }

    private static String runningExecution()
    {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        store.inTransaction(connection -> {
            ControlStore.insertExecution(connection, new MigrationExecution(id, now, Optional.empty(), ExecutionState.RUNNING, Phase.REPLICATION, "streaming",
                    config().withoutPasswords(), Optional.empty()), new ControlStore.SealedPasswords(new byte[1], new byte[1]));
            return null;
        });
        return id;
    }

    private static MigrationConfig config()
    {
        return new MigrationConfig(
                new CloudSqlConnectionConfig(Optional.empty(), "127.0.0.1", 3306, "hms", "hive", "", Optional.empty(), Optional.empty(), SourceTls.PREFERRED),
                new CdcConfig("cdc", "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), CdcConfig.DEFAULT_ROOT_PATH));
    }

    /** Ends the execution, so that the next test's is the live one. */
    private static void finish(String id)
    {
        store.inTransaction(connection -> ControlStore.transition(connection, id, Set.of(ExecutionState.RUNNING), ExecutionState.CANCELLED, Phase.REPLICATION, "done"));
    }

    private static void lockTimeout(Connection connection, Duration timeout)
            throws SQLException
    {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL lock_timeout = '%sms'".formatted(timeout.toMillis()));
        }
    }
}
