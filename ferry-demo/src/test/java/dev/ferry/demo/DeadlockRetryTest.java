package dev.ferry.demo;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The demo fill calls HMS again when the source rolled a call back as a deadlock victim, and only then. */
class DeadlockRetryTest
{
    /** What HMS 4.0.1 threw in CI when three fill threads took column statistics ids at once. */
    private static final String DEADLOCK = "Unable to getNextCSIdForMPartitionColumnStatistics   due to: (conn=13) Deadlock found when trying to get lock; "
            + "try restarting transaction";

    @Test
    void aCallRolledBackAsADeadlockVictimIsCalledAgain()
            throws Exception
    {
        AtomicInteger calls = new AtomicInteger();
        DemoSource.retryingDeadlocks("set_aggr_stats_for t", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("wrapped", new RuntimeException(DEADLOCK));
            }
        });
        assertThat(calls).hasValue(3);
    }

    @Test
    void otherFailuresAndAPersistentDeadlockAreNotHidden()
    {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> DemoSource.retryingDeadlocks("create_table t", () -> {
            calls.incrementAndGet();
            throw new IllegalStateException("Table t already exists");
        })).hasMessage("Table t already exists");
        assertThat(calls).hasValue(1);

        calls.set(0);
        assertThatThrownBy(() -> DemoSource.retryingDeadlocks("add_partitions t", () -> {
            calls.incrementAndGet();
            throw new IllegalStateException(DEADLOCK);
        })).hasMessage(DEADLOCK);
        assertThat(calls).hasValue(5);
    }
}
