package dev.ferry.front;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.ferry.engine.Engine;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The write gate, seen by real HMS clients over Thrift in front of a real engine. */
class WriteGateTest
{
    private static final Duration HOLD_BOUND = Duration.ofSeconds(2);

    private static EmbeddedPostgresServer postgres;
    private static Engine engine;
    private static WriteGate gate;
    private static ThriftFront front;

    @BeforeAll
    static void start()
            throws Exception
    {
        postgres = EmbeddedPostgresServer.start();
        engine = FrontFixture.initializeAndStart(FrontFixture.host(), "gate", postgres.createDatabase("hms_gate"),
                EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        gate = new WriteGate(HOLD_BOUND);
        front = ThriftFront.start(FrontFixture.loopback(), new Router(engine, gate));
    }

    @AfterAll
    static void stop()
    {
        front.close();
        engine.close();
        postgres.close();
    }

    @AfterEach
    void openGate()
    {
        if (gate.state() == WriteGate.State.HOLD_WRITES) {
            gate.release();
        }
    }

    private static HmsClient client()
    {
        return HmsClient.connect("127.0.0.1", front.port());
    }

    @Test
    void heldWritesCompleteAfterRelease()
            throws Exception
    {
        try (HmsClient writer = client()) {
            gate.holdWrites();
            CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                try {
                    writer.api().create_database(HmsObjects.database("held_then_released"));
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.writesWaiting() == 1);
            long heldBy = System.nanoTime();
            assertThat(write).isNotDone();
            Thread.sleep(100);
            long releasing = System.nanoTime();
            WriteGate.Hold hold = gate.release();
            write.get(10, TimeUnit.SECONDS);
            assertThat(writer.api().get_all_databases()).contains("held_then_released");
            // The write pause runs from the moment the write was held, which the gate saw before the await did.
            assertThat(hold.writesHeld()).isEqualTo(1);
            assertThat(hold.writePause()).isGreaterThanOrEqualTo(Duration.ofNanos(releasing - heldBy)).isLessThanOrEqualTo(hold.closed());
        }
    }

    @Test
    void holdWithoutWritesHeldIsNoWritePause()
            throws Exception
    {
        gate.holdWrites();
        Thread.sleep(50);
        WriteGate.Hold hold = gate.release();
        assertThat(hold.writesHeld()).isZero();
        assertThat(hold.writePause()).isZero();
        assertThat(hold.closed()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        // Reads pass a closed gate and are never counted as held.
        try (HmsClient reader = client()) {
            gate.holdWrites();
            reader.api().get_all_databases();
            assertThat(gate.release().writesHeld()).isZero();
        }
    }

    @Test
    void writeHeldPastTheBoundGetsRetryableError()
            throws Exception
    {
        try (HmsClient writer = client()) {
            gate.holdWrites();
            long started = System.nanoTime();
            assertThatThrownBy(() -> writer.api().create_database(HmsObjects.database("held_too_long")))
                    .isInstanceOf(MetaException.class)
                    .hasMessage("Ferry is switching this metastore to another database (cutover in progress); "
                            + "create_database was held for 2000 ms and not applied. Retry the call.");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(HOLD_BOUND);
            gate.release();
            // Not applied, and the connection still works: the retry succeeds.
            assertThat(writer.api().get_all_databases()).doesNotContain("held_too_long");
            writer.api().create_database(HmsObjects.database("held_too_long"));
            assertThat(writer.api().get_all_databases()).contains("held_too_long");
        }
    }

    @Test
    void readsPassWhileWritesAreHeld()
            throws Exception
    {
        try (HmsClient writer = client(); HmsClient reader = client()) {
            writer.api().create_database(HmsObjects.database("readable"));
            gate.holdWrites();
            CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                try {
                    writer.api().drop_database("readable", true, true);
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> gate.writesWaiting() == 1);
            long started = System.nanoTime();
            assertThat(reader.api().get_all_databases()).contains("readable");
            assertThat(reader.api().get_database("readable").getName()).isEqualTo("readable");
            reader.api().get_open_txns();
            reader.api().show_locks(new org.apache.hadoop.hive.metastore.api.ShowLocksRequest());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(HOLD_BOUND);
            assertThat(write).isNotDone();
            gate.release();
            write.get(10, TimeUnit.SECONDS);
            assertThat(reader.api().get_all_databases()).doesNotContain("readable");
        }
    }

    @Test
    void holdWaitsForWritesInFlight()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        local.enter(MethodClass.WRITE, "alter_table");
        local.holdWrites();
        assertThat(local.awaitWritesDrained(Duration.ofMillis(100))).isFalse();
        local.exit(MethodClass.WRITE);
        assertThat(local.awaitWritesDrained(Duration.ofMillis(100))).isTrue();
    }

    @Test
    void holdWhenIdleClosesTheGateOnceTheWritesInFlightEnd()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        local.enter(MethodClass.WRITE, "add_partitions");
        local.enter(MethodClass.WRITE, "alter_table");
        CompletableFuture<Boolean> held = CompletableFuture.supplyAsync(() -> {
            try {
                return local.holdWritesIfIdleWithin(Duration.ofSeconds(30));
            }
            catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // While it waits for an idle moment, writes still pass.
        Thread.sleep(100);
        assertThat(local.state()).isEqualTo(WriteGate.State.OPEN);
        local.enter(MethodClass.WRITE, "create_table");
        local.exit(MethodClass.WRITE);
        local.exit(MethodClass.WRITE);
        assertThat(local.state()).isEqualTo(WriteGate.State.OPEN);
        local.exit(MethodClass.WRITE);
        assertThat(held.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(local.state()).isEqualTo(WriteGate.State.HOLD_WRITES);
        assertThat(local.writesInFlight()).isZero();
        assertThat(local.awaitWritesDrained(Duration.ZERO)).isTrue();
    }

    @Test
    void holdWhenIdleLeavesTheGateOpenOnceThePatienceIsSpent()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        local.enter(MethodClass.WRITE, "add_partitions");
        assertThat(local.holdWritesIfIdleWithin(Duration.ofMillis(50))).isFalse();
        assertThat(local.state()).isEqualTo(WriteGate.State.OPEN);
        local.enter(MethodClass.WRITE, "alter_table");
        local.exit(MethodClass.WRITE);
        local.exit(MethodClass.WRITE);
        // Without a write in flight it holds at once.
        assertThat(local.holdWritesIfIdleWithin(Duration.ZERO)).isTrue();
        assertThat(local.state()).isEqualTo(WriteGate.State.HOLD_WRITES);
    }

    @Test
    void awaitsTheHeldWritesNotTheOnesThatCameAfter()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        // One write in flight from before the hold, which the wait is not about.
        local.enter(MethodClass.WRITE, "alter_table");
        local.holdWrites();
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
            try {
                local.enter(MethodClass.WRITE, "add_partitions");
                finish.await();
                local.exit(MethodClass.WRITE);
            }
            catch (MetaException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> local.writesWaiting() == 1);
        local.release();
        // A write after the release, still running, is not waited for either.
        local.enter(MethodClass.WRITE, "create_table");
        assertThat(local.awaitHeldWritesDone(Duration.ofMillis(100))).isFalse();
        finish.countDown();
        held.get(10, TimeUnit.SECONDS);
        assertThat(local.awaitHeldWritesDone(Duration.ofSeconds(5))).isTrue();
        assertThat(local.writesInFlight()).isEqualTo(2);
        local.exit(MethodClass.WRITE);
        local.exit(MethodClass.WRITE);
        // With nothing held, there is nothing to wait for.
        assertThat(local.awaitHeldWritesDone(Duration.ZERO)).isTrue();
    }

    @Test
    void aHeldWriteThatFailsAtTheBoundIsNotWaitedFor()
            throws Exception
    {
        WriteGate local = new WriteGate(Duration.ofMillis(100));
        local.holdWrites();
        assertThatThrownBy(() -> local.enter(MethodClass.WRITE, "add_partitions")).isInstanceOf(MetaException.class);
        local.release();
        assertThat(local.awaitHeldWritesDone(Duration.ZERO)).isTrue();
    }

    @Test
    void idleWithinTellsWhetherAMomentWithoutAWriteInFlightWasRecent()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        assertThat(local.idleWithin(Duration.ZERO)).isTrue();
        local.enter(MethodClass.WRITE, "add_partitions");
        Thread.sleep(100);
        local.enter(MethodClass.WRITE, "alter_table");
        local.exit(MethodClass.WRITE);
        // One write in flight throughout the last 100 ms: no idle moment in the last 50 ms, one in the last 10 s.
        assertThat(local.idleWithin(Duration.ofMillis(50))).isFalse();
        assertThat(local.idleWithin(Duration.ofSeconds(10))).isTrue();
        local.exit(MethodClass.WRITE);
        assertThat(local.idleWithin(Duration.ZERO)).isTrue();
    }

    @Test
    void holdWhenIdleInterruptedLeavesTheGateOpen()
            throws Exception
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        local.enter(MethodClass.WRITE, "add_partitions");
        Thread waiter = new Thread(() -> {
            try {
                local.holdWritesIfIdleWithin(Duration.ofSeconds(30));
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        Thread.sleep(100);
        waiter.interrupt();
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        local.exit(MethodClass.WRITE);
        // The write that left none in flight did not close the gate for a waiter that is gone.
        assertThat(local.state()).isEqualTo(WriteGate.State.OPEN);
        local.enter(MethodClass.WRITE, "create_table");
        local.exit(MethodClass.WRITE);
    }

    @Test
    void illegalTransitionNamesTheStates()
    {
        WriteGate local = new WriteGate(HOLD_BOUND);
        assertThatThrownBy(local::release)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot move the write gate from HOLD_WRITES to OPEN: it is OPEN");
    }
}
