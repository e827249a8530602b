package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import dev.ferry.control.Membership;
import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ReplicaRecord.State;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Replicas in the control store, on a real PostgreSQL: registration, heartbeats, stop, UNREACHABLE, and the identity
 * claim a starting replica makes (service name and encryption key check), refused only while another replica is live.
 */
class ReplicaStoreTest
{
    private static final Duration DEAD_AFTER = Duration.ofSeconds(2);
    private static final String SERVICE = "projects/p/locations/l/services/s";

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

    private static ReplicaRecord replica(String id, State state)
    {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return new ReplicaRecord(id, "host-" + id, 4242, "thrift://host-%s:9083".formatted(id), "http://host-%s:8080".formatted(id), "0.1.0", "machine:/data/" + id, now, now,
                state, "", "", "");
    }

    @Test
    void heartbeatsKeepAReplicaLiveAndItsLastWordsShow()
            throws Exception
    {
        ControlStore store = newStore("heartbeats");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa", State.STARTING));
        replicas.register(replica("bbbbbbbbbbbb", State.SERVING));

        try (Connection connection = store.dedicatedConnection("ferry/aaaaaaaaaaaa/membership")) {
            ReplicaStore.Beat beat = ReplicaStore.heartbeat(connection, "aaaaaaaaaaaa", State.SERVING, "OWN", "OPEN", "serving", DEAD_AFTER).orElseThrow();
            assertThat(beat.liveReplicas()).isEqualTo(2);
            assertThat(beat.service().generation()).isEqualTo(1);
            assertThat(ReplicaStore.heartbeat(connection, "cccccccccccc", State.SERVING, "OWN", "OPEN", "", DEAD_AFTER)).isEmpty();
        }
        ReplicaRecord a = replicas.list(DEAD_AFTER).stream().filter(replica -> replica.id().equals("aaaaaaaaaaaa")).findFirst().orElseThrow();
        assertThat(a.state()).isEqualTo(State.SERVING);
        assertThat(a.backend()).isEqualTo("OWN");
        assertThat(a.gate()).isEqualTo("OPEN");

        // b says nothing more: after dead-after it is UNREACHABLE, and no longer live.
        Thread.sleep(DEAD_AFTER.toMillis() + 500);
        try (Connection connection = store.dedicatedConnection("ferry/aaaaaaaaaaaa/membership")) {
            assertThat(ReplicaStore.heartbeat(connection, "aaaaaaaaaaaa", State.SERVING, "OWN", "OPEN", "", DEAD_AFTER).orElseThrow().liveReplicas()).isEqualTo(1);
        }
        List<ReplicaRecord> all = replicas.list(DEAD_AFTER);
        assertThat(all).extracting(ReplicaRecord::id, ReplicaRecord::state)
                .containsExactlyInAnyOrder(tuple("aaaaaaaaaaaa", State.SERVING), tuple("bbbbbbbbbbbb", State.UNREACHABLE));
        assertThat(replicas.live(DEAD_AFTER)).extracting(ReplicaRecord::id).containsExactly("aaaaaaaaaaaa");

        replicas.stopped("aaaaaaaaaaaa");
        assertThat(replicas.list(DEAD_AFTER)).filteredOn(replica -> replica.id().equals("aaaaaaaaaaaa")).extracting(ReplicaRecord::state).containsExactly(State.STOPPED);
        assertThat(replicas.live(DEAD_AFTER)).isEmpty();

        // Rows unseen for long are forgotten.
        try (Connection connection = postgres.connect("heartbeats");
                PreparedStatement age = connection.prepareStatement("UPDATE ferry_control.replica SET last_seen_time = now() - interval '2 days' WHERE id = 'bbbbbbbbbbbb'")) {
            age.executeUpdate();
        }
        assertThat(replicas.forgetUnseenFor(Duration.ofDays(1))).isEqualTo(1);
        assertThat(replicas.list(DEAD_AFTER)).extracting(ReplicaRecord::id).containsExactly("aaaaaaaaaaaa");
    }

    @Test
    void aReplicaThatTakesADataDirectoryEndsTheOneThatHeldItBefore()
    {
        ControlStore store = newStore("takeover");
        ReplicaStore replicas = new ReplicaStore(store);
        replicas.register(replica("aaaaaaaaaaaa", State.SERVING));
        replicas.register(replica("bbbbbbbbbbbb", State.SERVING));
        // aaaaaaaaaaaa was killed; its successor, on the same machine and data directory, registers.
        ReplicaRecord killed = replica("aaaaaaaaaaaa", State.SERVING);
        replicas.register(new ReplicaRecord("cccccccccccc", killed.host(), 4343, killed.endpointUri(), killed.httpUri(), killed.version(), killed.dataDirectory(),
                killed.startTime(), killed.lastSeenTime(), State.STARTING, "", "", ""));
        assertThat(replicas.list(DEAD_AFTER)).extracting(ReplicaRecord::id, ReplicaRecord::state)
                .containsExactlyInAnyOrder(tuple("aaaaaaaaaaaa", State.STOPPED), tuple("bbbbbbbbbbbb", State.SERVING), tuple("cccccccccccc", State.STARTING));
        assertThat(replicas.list(DEAD_AFTER)).filteredOn(replica -> replica.id().equals("aaaaaaaaaaaa")).singleElement()
                .satisfies(replica -> assertThat(replica.detail()).contains("replica cccccccccccc took its data directory"));
    }

    @Test
    void aDifferentNameOrKeyIsRefusedOnlyWhileAnotherReplicaIsLive()
            throws Exception
    {
        ControlStore store = newStore("identity");
        ReplicaStore replicas = new ReplicaStore(store);

        ReplicaStore.Claim first = replicas.claimIdentity("aaaaaaaaaaaa", SERVICE, "key-1", DEAD_AFTER);
        assertThat(first.refusal()).isEmpty();
        assertThat(first.warnings()).isEmpty();
        replicas.register(replica("aaaaaaaaaaaa", State.SERVING));

        // The same name and key: welcome.
        assertThat(replicas.claimIdentity("bbbbbbbbbbbb", SERVICE, "key-1", DEAD_AFTER).refusal()).isEmpty();
        // Another key while a is live: refused, naming a.
        Optional<String> wrongKey = replicas.claimIdentity("bbbbbbbbbbbb", SERVICE, "key-2", DEAD_AFTER).refusal();
        assertThat(wrongKey).hasValueSatisfying(message -> assertThat(message).contains("encryption key").contains("replica aaaaaaaaaaaa on host-aaaaaaaaaaaa"));
        // Another service name while a is live: refused.
        Optional<String> wrongName = replicas.claimIdentity("bbbbbbbbbbbb", "projects/p/locations/l/services/other", "key-1", DEAD_AFTER).refusal();
        assertThat(wrongName).hasValueSatisfying(message -> assertThat(message).contains("service " + SERVICE).contains("service.name projects/p/locations/l/services/other"));
        // A refused claim changes nothing: the stored key is still key-1.
        assertThat(replicas.claimIdentity("bbbbbbbbbbbb", SERVICE, "key-1", DEAD_AFTER).refusal()).isEmpty();

        // a stops: a new key is taken, with a warning.
        replicas.stopped("aaaaaaaaaaaa");
        ReplicaStore.Claim alone = replicas.claimIdentity("bbbbbbbbbbbb", SERVICE, "key-2", DEAD_AFTER);
        assertThat(alone.refusal()).isEmpty();
        assertThat(alone.warnings()).singleElement().asString().contains("encryption key differs");
        replicas.register(replica("bbbbbbbbbbbb", State.SERVING));
        assertThat(replicas.claimIdentity("cccccccccccc", SERVICE, "key-1", DEAD_AFTER).refusal()).isPresent();
    }

    @Test
    void membershipHeartbeatsAndMarksItselfStopped()
            throws Exception
    {
        ControlStore store = newStore("membership");
        ReplicaStore replicas = new ReplicaStore(store);
        try (Membership membership = Membership.start(store, replica("dddddddddddd", State.STARTING), Duration.ofMillis(100), DEAD_AFTER)) {
            membership.report(() -> new Membership.Local("SOURCE", "OPEN", "serving from the source engine"));
            membership.serving(replica("dddddddddddd", State.SERVING));
            Instant registered = replicas.list(DEAD_AFTER).get(0).lastSeenTime();
            ReplicaRecord seen = replicas.list(DEAD_AFTER).get(0);
            for (int tries = 0; tries < 100 && !(seen.lastSeenTime().isAfter(registered) && seen.backend().equals("SOURCE")); tries++) {
                Thread.sleep(100);
                seen = replicas.list(DEAD_AFTER).get(0);
            }
            assertThat(seen.state()).isEqualTo(State.SERVING);
            assertThat(seen.backend()).isEqualTo("SOURCE");
            assertThat(seen.lastSeenTime()).isAfter(registered);
            Membership.Health health = membership.health();
            assertThat(health.reachable(DEAD_AFTER)).isTrue();
            assertThat(health.liveReplicas()).isEqualTo(1);
            assertThat(health.service()).isPresent();
        }
        assertThat(replicas.list(DEAD_AFTER).get(0).state()).isEqualTo(State.STOPPED);
    }

    @Test
    void aServingReplicaShowsItsBackendAtOnceNotAtItsNextHeartbeat()
    {
        ControlStore store = newStore("serving");
        ReplicaStore replicas = new ReplicaStore(store);
        // A heartbeat an hour apart: only start() and serving() write the row within this test.
        try (Membership membership = Membership.start(store, replica("cccccccccccc", State.STARTING), Duration.ofHours(1), DEAD_AFTER)) {
            membership.report(() -> new Membership.Local("OWN", "OPEN", "serving from the own engine"));
            membership.serving(replica("cccccccccccc", State.SERVING));
            ReplicaRecord seen = replicas.list(DEAD_AFTER).get(0);
            assertThat(seen.state()).isEqualTo(State.SERVING);
            assertThat(seen.backend()).isEqualTo("OWN");
            assertThat(seen.gate()).isEqualTo("OPEN");
            assertThat(seen.detail()).isEqualTo("serving from the own engine");
        }
    }

    @Test
    void writesAreRefusedOnceAnotherReplicaSwitchedTheBackend()
            throws Exception
    {
        ControlStore store = newStore("switched");
        try (Membership membership = Membership.start(store, replica("ffffffffffff", State.SERVING), Duration.ofMillis(100), DEAD_AFTER)) {
            membership.switched(1);
            assertThat(membership.refusal(1)).isEmpty();
            assertThat(membership.awaitConfirmed(1, Duration.ofSeconds(1))).isTrue();

            // Another replica records a switch (generation 2) that this one did not make.
            store.inTransaction(connection -> ControlStore.switchBackend(connection, ServiceRecord.Backend.OWN, Optional.empty()));
            for (int tries = 0; tries < 100 && membership.refusal(1).isEmpty(); tries++) {
                Thread.sleep(50);
            }
            assertThat(membership.refusal(1)).hasValueSatisfying(refusal -> assertThat(refusal).contains("switched to generation 2 of its backend").contains("still serves generation 1"));
            long before = System.nanoTime();
            assertThat(membership.awaitConfirmed(1, Duration.ofSeconds(5))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - before)).as("no wait for what cannot come").isLessThan(Duration.ofSeconds(1));
            for (int tries = 0; tries < 100 && membership.health().stale().isEmpty(); tries++) {
                Thread.sleep(50);
            }
            assertThat(membership.health().stale()).isPresent();

            // A switch this process records itself is known at once.
            long generation = store.inTransaction(connection -> ControlStore.switchBackend(connection, ServiceRecord.Backend.OWN, Optional.empty()));
            membership.switched(generation);
            assertThat(membership.refusal(generation)).isEmpty();
        }
    }

    @Test
    void aLateHeartbeatCostsAWriteLatencyRatherThanARefusal()
            throws Exception
    {
        ControlStore store = newStore("late");
        // Dead after 4 s: the view lasts 3 s, and a write waits up to 1 s for a late heartbeat.
        try (Membership membership = Membership.start(store, replica("dddddddddddd", State.SERVING), Duration.ofMillis(100), Duration.ofSeconds(4));
                Connection blocker = postgres.connect("late")) {
            membership.switched(1);
            assertThat(membership.refusal(1)).isEmpty();
            // A quarter of dead-after: the time between this replica's view ending and the others counting it as gone.
            assertThat(membership.patience()).isEqualTo(Duration.ofSeconds(1));

            // Heartbeats stall behind a lock on the replica table (as behind a switch's commit, or a slow disk).
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE ferry_control.replica IN SHARE MODE");
            for (int tries = 0; tries < 200 && membership.refusal(1).isEmpty(); tries++) {
                Thread.sleep(50);
            }
            assertThat(membership.refusal(1)).hasValueSatisfying(refusal -> assertThat(refusal).contains("has not reached the control store"));
            // Late by less than the patience: a write waits for the next heartbeat, which confirms it.
            Thread release = new Thread(() -> {
                try {
                    Thread.sleep(100);
                    blocker.commit();
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            release.start();
            assertThat(membership.awaitConfirmed(1, membership.patience())).isTrue();
            release.join();
            assertThat(membership.refusal(1)).isEmpty();

            // Late by more: the write is refused once the patience has passed.
            blocker.createStatement().execute("LOCK TABLE ferry_control.replica IN SHARE MODE");
            for (int tries = 0; tries < 200 && membership.refusal(1).isEmpty(); tries++) {
                Thread.sleep(50);
            }
            assertThat(membership.refusal(1)).isPresent();
            long waited = System.nanoTime();
            assertThat(membership.awaitConfirmed(1, membership.patience())).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - waited)).isGreaterThanOrEqualTo(membership.patience());
            blocker.commit();
            assertThat(membership.awaitConfirmed(1, Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void membershipSaysWhenTheControlStoreIsGone()
            throws Exception
    {
        ControlStore store = newStore("gone");
        try (Membership membership = Membership.start(store, replica("eeeeeeeeeeee", State.SERVING), Duration.ofMillis(100), DEAD_AFTER)) {
            assertThat(membership.health().reachable(DEAD_AFTER)).isTrue();
            // The database goes away under it (its sessions are ended and new ones refused).
            try (Connection connection = postgres.connect("postgres")) {
                connection.createStatement().execute("ALTER DATABASE gone WITH ALLOW_CONNECTIONS false");
                connection.createStatement().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'gone'");
            }
            membership.switched(1);
            Thread.sleep(DEAD_AFTER.toMillis() + 500);
            // Writes are refused once the view's lifetime (3/4 of dead-after) has passed without a heartbeat.
            assertThat(membership.refusal(1)).hasValueSatisfying(refusal -> assertThat(refusal).contains("has not reached the control store"));
            assertThat(membership.awaitConfirmed(1, Duration.ofMillis(300))).isFalse();
            Membership.Health health = membership.health();
            assertThat(health.reachable(DEAD_AFTER)).isFalse();
            assertThat(health.lastError()).hasValueSatisfying(error -> assertThat(error).isNotBlank());
            assertThat(health.sinceLastBeat().orElseThrow()).isGreaterThan(DEAD_AFTER);
            // Back again: the next heartbeat reaches it.
            try (Connection connection = postgres.connect("postgres")) {
                connection.createStatement().execute("ALTER DATABASE gone WITH ALLOW_CONNECTIONS true");
            }
            for (int tries = 0; tries < 100 && membership.health().lastError().isPresent(); tries++) {
                Thread.sleep(100);
            }
            assertThat(membership.health().reachable(DEAD_AFTER)).isTrue();
            assertThat(membership.health().lastError()).isEmpty();
            assertThat(membership.awaitConfirmed(1, Duration.ofSeconds(5))).isTrue();
            assertThat(membership.refusal(1)).isEmpty();
        }
    }
}
