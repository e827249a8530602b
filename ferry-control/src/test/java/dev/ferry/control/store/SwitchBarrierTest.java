package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ReplicaRecord.State;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The switch barrier on a real PostgreSQL: a switch records only with every live replica holding, exactly one of
 * commit and abort wins, a hold past its deadline can be aborted by anyone, and a replica cannot register between
 * the commit's check and its end.
 */
class SwitchBarrierTest
{
    private static final Duration DEAD_AFTER = Duration.ofSeconds(2);

    private static EmbeddedPostgresServer postgres;

    @BeforeAll
    static void start()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stop()
    {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ControlStore newStore(String database)
    {
        return ControlStore.open(postgres.createDatabase(database), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    private static ReplicaRecord replica(String id)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return new ReplicaRecord(id, "host-" + id, 4242, "thrift://host-%s:9083".formatted(id), "http://host-%s:8080".formatted(id), "0.1.0", "machine:/data/" + id, now, now,
                State.SERVING, "OWN", "OPEN", "");
    }

    private static List<ReplicaRecord> replicas(ControlStore store, ControlStore.Work<List<ReplicaRecord>> work)
    {
        return store.inTransaction(work);
    }

    private static boolean yes(ControlStore store, ControlStore.Work<Boolean> work)
    {
        return store.inTransaction(work);
    }

    private static Optional<SwitchBarrier.Barrier> barrier(ControlStore store, ControlStore.Work<Optional<SwitchBarrier.Barrier>> work)
    {
        return store.inTransaction(work);
    }

    /** The switch as the leader records it: the barrier's commit and the service's new generation in one transaction. */
    private static long record(ControlStore store, long generation, String leader)
    {
        return store.inTransaction(connection -> {
            SwitchBarrier.commit(connection, generation, leader, DEAD_AFTER);
            return ControlStore.switchBackend(connection, ServiceRecord.Backend.SOURCE, Optional.of("execution-1"));
        });
    }

    @Test
    void aSwitchRecordsOnlyOnceEveryLiveReplicaHolds()
    {
        ControlStore store = newStore("barrier_commit");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa"));
        replicas.register(replica("bbbbbbbbbbbb"));
        long before = store.service().generation();

        SwitchBarrier.Barrier barrier = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.SOURCE, Optional.of("execution-1")));
        assertThat(barrier.generation()).isEqualTo(before + 1);
        long generation = barrier.generation();
        assertThat(replicas(store, connection -> SwitchBarrier.notReady(connection, generation, "aaaaaaaaaaaa", DEAD_AFTER)))
                .extracting(ReplicaRecord::id).containsExactly("bbbbbbbbbbbb");
        store.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", generation, false);
            return null;
        });
        assertThat(replicas(store, connection -> SwitchBarrier.notReady(connection, generation, "aaaaaaaaaaaa", DEAD_AFTER))).isEmpty();

        assertThat(yes(store, connection -> SwitchBarrier.hold(connection, generation, Duration.ofSeconds(30)))).isTrue();
        assertThat(replicas(store, connection -> SwitchBarrier.notHolding(connection, generation, "aaaaaaaaaaaa", DEAD_AFTER)))
                .extracting(ReplicaRecord::id).containsExactly("bbbbbbbbbbbb");
        // b is ready but does not hold: the switch is not recorded, and the barrier stays open.
        assertThatThrownBy(() -> record(store, generation, "aaaaaaaaaaaa"))
                .isInstanceOf(SwitchBarrier.NotHeld.class)
                .hasMessageContaining("replica bbbbbbbbbbbb");
        assertThat(store.service().generation()).isEqualTo(before);
        assertThat(barrier(store, connection -> SwitchBarrier.read(connection, generation))).get().extracting(SwitchBarrier.Barrier::state).isEqualTo(SwitchBarrier.State.HOLD);

        store.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", generation, true);
            return null;
        });
        assertThat(record(store, generation, "aaaaaaaaaaaa")).isEqualTo(generation);
        assertThat(barrier(store, connection -> SwitchBarrier.newest(connection))).get().extracting(SwitchBarrier.Barrier::state).isEqualTo(SwitchBarrier.State.COMMITTED);
        // Committed: no abort can win any more.
        assertThat(yes(store, connection -> SwitchBarrier.abort(connection, generation, "too late"))).isFalse();
    }

    @Test
    void aRetriedSwitchNeedsEveryReplicaToConfirmItAnewNotTheAbortedOnesConfirmations()
    {
        ControlStore store = newStore("barrier_retry");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa"));
        replicas.register(replica("bbbbbbbbbbbb"));
        long before = store.service().generation();
        long generation = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.SOURCE, Optional.of("execution-1"))).generation();
        assertThat(yes(store, connection -> SwitchBarrier.hold(connection, generation, Duration.ofSeconds(30)))).isTrue();
        store.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", generation, false);
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", generation, true);
            return null;
        });
        // The first attempt aborts (its leader died after the hold); b releases its writes.
        assertThat(yes(store, connection -> SwitchBarrier.abort(connection, generation, "the leader died"))).isTrue();

        // The retry announces the same generation: b's confirmations of the aborted attempt do not count for it.
        long retried = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.SOURCE, Optional.of("execution-1"))).generation();
        assertThat(retried).isEqualTo(generation);
        assertThat(replicas(store, connection -> SwitchBarrier.notReady(connection, retried, "aaaaaaaaaaaa", DEAD_AFTER)))
                .extracting(ReplicaRecord::id).containsExactly("bbbbbbbbbbbb");
        assertThat(yes(store, connection -> SwitchBarrier.hold(connection, retried, Duration.ofSeconds(30)))).isTrue();
        assertThatThrownBy(() -> record(store, retried, "aaaaaaaaaaaa"))
                .isInstanceOf(SwitchBarrier.NotHeld.class)
                .hasMessageContaining("replica bbbbbbbbbbbb");
        assertThat(store.service().generation()).isEqualTo(before);

        store.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", retried, true);
            return null;
        });
        assertThat(record(store, retried, "aaaaaaaaaaaa")).isEqualTo(retried);
    }

    @Test
    void aHoldPastItsDeadlineIsAbortedByAnyReplicaAndThenCannotCommit()
            throws Exception
    {
        ControlStore store = newStore("barrier_deadline");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa"));
        replicas.register(replica("bbbbbbbbbbbb"));
        long generation = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.OWN, Optional.empty())).generation();
        assertThat(yes(store, connection -> SwitchBarrier.hold(connection, generation, Duration.ofMillis(300)))).isTrue();
        store.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, "bbbbbbbbbbbb", generation, true);
            return null;
        });
        // Before the deadline a follower may not abort.
        assertThat(yes(store, connection -> SwitchBarrier.abortPastDeadline(connection, generation, "bbbbbbbbbbbb"))).isFalse();
        Thread.sleep(400);
        assertThat(barrier(store, connection -> SwitchBarrier.read(connection, generation))).get().extracting(SwitchBarrier.Barrier::pastDeadline).isEqualTo(true);
        assertThat(yes(store, connection -> SwitchBarrier.abortPastDeadline(connection, generation, "bbbbbbbbbbbb"))).isTrue();
        long before = store.service().generation();
        assertThatThrownBy(() -> record(store, generation, "aaaaaaaaaaaa"))
                .isInstanceOf(SwitchBarrier.NotHeld.class)
                .hasMessageContaining("ABORTED")
                .hasMessageContaining("deadline passed");
        assertThat(store.service().generation()).isEqualTo(before);
    }

    @Test
    void aReplicaUnseenForDeadAfterIsNotWaitedFor()
            throws Exception
    {
        ControlStore store = newStore("barrier_dead");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa"));
        replicas.register(replica("cccccccccccc"));
        store.inTransaction(connection -> {
            try (PreparedStatement age = connection.prepareStatement("UPDATE replica SET last_seen_time = now() - interval '3 seconds' WHERE id = 'cccccccccccc'")) {
                age.executeUpdate();
            }
            return null;
        });
        long generation = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.SOURCE, Optional.of("execution-1"))).generation();
        assertThat(replicas(store, connection -> SwitchBarrier.notReady(connection, generation, "aaaaaaaaaaaa", DEAD_AFTER))).isEmpty();
        assertThat(record(store, generation, "aaaaaaaaaaaa")).isEqualTo(generation);
    }

    @Test
    void aReplicaCannotRegisterBetweenTheCommitsCheckAndItsEnd()
            throws Exception
    {
        ControlStore store = newStore("barrier_register");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa"));
        long generation = store.inTransaction(connection -> SwitchBarrier.announce(connection, "aaaaaaaaaaaa", ServiceRecord.Backend.SOURCE, Optional.of("execution-1"))).generation();
        try (Connection leader = store.dedicatedConnection("test/leader")) {
            SwitchBarrier.commit(leader, generation, "aaaaaaaaaaaa", DEAD_AFTER);
            ControlStore.switchBackend(leader, ServiceRecord.Backend.SOURCE, Optional.of("execution-1"));
            CompletableFuture<Long> registered = CompletableFuture.supplyAsync(() -> {
                replicas.register(replica("dddddddddddd"));
                // What a starting replica reads next: the service's record.
                return store.service().generation();
            });
            Thread.sleep(500);
            assertThat(registered).as("the registration waits for the switch's transaction").isNotDone();
            leader.commit();
            assertThat(registered.get(10, TimeUnit.SECONDS)).as("the new replica reads the switched record").isEqualTo(generation);
        }
    }
}
