package dev.ferry.control;

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
import dev.ferry.replication.source.SourceTls;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failure whose message PostgreSQL refuses (a NUL, as a source server's error may quote one) is still recorded,
 * without its control characters: the execution leaves STARTING and the operation ends with the error.
 */
class OperationsRecordFailureTest
{
    private static EmbeddedPostgresServer postgres;
    private static ControlStore store;

    @BeforeAll
    static void start()
    {
        postgres = EmbeddedPostgresServer.start();
        store = ControlStore.open(postgres.createDatabase("control"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    @AfterAll
    static void stop()
    {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aMessageWithNulIsRecordedWithoutControlCharacters()
    {
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        MigrationConfig config = new MigrationConfig(
                new CloudSqlConnectionConfig(Optional.empty(), "127.0.0.1", 3306, "hms", "hive", "", Optional.empty(), Optional.empty(), SourceTls.PREFERRED),
                new CdcConfig("cdc", "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), CdcConfig.DEFAULT_ROOT_PATH));
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
}
