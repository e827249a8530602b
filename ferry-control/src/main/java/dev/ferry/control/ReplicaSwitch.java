package dev.ferry.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlSession;
import dev.ferry.control.store.ReplicaStore;
import dev.ferry.control.store.SwitchBarrier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The switching replica's side of one switch of the service's backend, done with every live replica (see
 * {@link SwitchBarrier}): announce, wait until the others have an engine on the new backend, hold their writes,
 * and commit in the transaction that records the switch; abort on any failure. With no other replica live, the
 * waits return at once and the commit's check costs one query.
 */
final class ReplicaSwitch
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(ReplicaSwitch.class);
    private static final long POLL_NANOS = 2_000_000;

    private final ControlStore store;
    private final String self;
    private final Duration deadAfter;
    private final SwitchBarrier.Barrier barrier;
    private volatile boolean othersHold;
    // The other replicas live when they were last waited for: none, and the hold has nothing to wait for.
    private volatile List<ReplicaRecord> others = List.of();
    // For the waits' polls (a connection of the control store's costs milliseconds to open).
    private final ControlSession polling;

    private ReplicaSwitch(ControlStore store, String self, Duration deadAfter, SwitchBarrier.Barrier barrier)
    {
        this.store = store;
        this.self = self;
        this.deadAfter = deadAfter;
        this.barrier = barrier;
        this.polling = new ControlSession(store);
    }

    /** Announces the switch to {@code backend}: the other live replicas start an engine on it. */
    static ReplicaSwitch announce(ControlStore store, String self, Duration deadAfter, ServiceRecord.Backend backend, Optional<String> execution)
    {
        requireNonNull(store, "store is null");
        SwitchBarrier.Barrier barrier = store.inTransaction(connection -> SwitchBarrier.announce(connection, self, backend, execution));
        log.info("Switch to generation {} ({}) announced to the other replicas", barrier.generation(), describe(backend, execution));
        return new ReplicaSwitch(store, self, deadAfter, barrier);
    }

    long generation()
    {
        return barrier.generation();
    }

    /**
     * Waits until every other live replica has an engine on the new backend; throws ABORTED naming those that have
     * not within {@code timeout}, or why the barrier was aborted (a replica that cannot start its engine aborts it).
     */
    void awaitReady(Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        long started = System.nanoTime();
        while (true) {
            List<ReplicaRecord> waiting = polling.inTransaction(connection -> {
                requireOpen(connection);
                others = ReplicaStore.live(connection, deadAfter).stream().filter(replica -> !replica.id().equals(self)).toList();
                return SwitchBarrier.notReady(connection, barrier.generation(), self, deadAfter);
            });
            if (waiting.isEmpty()) {
                if (System.nanoTime() - started > 50_000_000L) {
                    log.info("Switch to generation {}: the other replicas are ready ({} ms)", barrier.generation(), (System.nanoTime() - started) / 1_000_000);
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ControlException(ErrorCode.ABORTED, "%s did not start an engine on the new backend within %s s; nothing was switched".formatted(
                        ReplicaStore.describe(waiting), timeout.toSeconds()));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Holds the other live replicas' writes: returns once each says it holds, its writes in flight done; throws
     * ABORTED naming those that have not within {@code wait}. The hold ends, wherever the leader is, at
     * {@code bound} from now.
     */
    void holdOthers(Duration bound, Duration wait)
            throws InterruptedException
    {
        long started = System.nanoTime();
        if (others.isEmpty()) {
            // Alone when the others were last waited for: a replica that registered since is checked at the commit,
            // which it makes fail.
            return;
        }
        boolean holding = polling.inTransaction(connection -> SwitchBarrier.hold(connection, barrier.generation(), bound));
        if (!holding) {
            throw new ControlException(ErrorCode.ABORTED, "the switch's barrier (generation %s) was aborted before writes were held: %s".formatted(barrier.generation(),
                    store.inTransaction(connection -> SwitchBarrier.read(connection, barrier.generation())).map(SwitchBarrier.Barrier::detail).orElse("")));
        }
        othersHold = true;
        long deadline = started + wait.toNanos();
        while (true) {
            List<ReplicaRecord> waiting = polling.inTransaction(connection -> {
                requireOpen(connection);
                return SwitchBarrier.notHolding(connection, barrier.generation(), self, deadAfter);
            });
            if (waiting.isEmpty()) {
                log.info("Switch to generation {}: {} other replica(s) hold their writes ({} ms)", barrier.generation(), others.size(), (System.nanoTime() - started) / 1_000_000);
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ControlException(ErrorCode.ABORTED, "%s did not confirm %s hold of writes within %s ms".formatted(ReplicaStore.describe(waiting),
                        waiting.size() == 1 ? "its" : "their", wait.toMillis()));
            }
            Thread.sleep(POLL_NANOS / 1_000_000, (int) (POLL_NANOS % 1_000_000));
        }
    }

    /**
     * In the transaction that records the switch: commits the barrier (throws {@link SwitchBarrier.NotHeld}, which
     * rolls the transaction back, if a live replica does not hold or the barrier was aborted).
     */
    void commit(Connection connection)
            throws SQLException
    {
        SwitchBarrier.commit(connection, barrier.generation(), self, deadAfter);
    }

    /** Ends the barrier without a switch: the other replicas release their writes on the backend they serve. */
    void abort(String why)
    {
        try {
            boolean aborted = store.inTransaction(connection -> SwitchBarrier.abort(connection, barrier.generation(), why));
            if (aborted && othersHold) {
                log.info("Switch to generation {} aborted: the other replicas release their writes", barrier.generation());
            }
        }
        catch (RuntimeException e) {
            log.warn("Could not abort the switch's barrier (generation {}); the other replicas release their writes at its deadline: {}", barrier.generation(), e.getMessage());
        }
    }

    @Override
    public void close()
    {
        polling.close();
    }

    private void requireOpen(Connection connection)
            throws SQLException
    {
        Optional<SwitchBarrier.Barrier> now = SwitchBarrier.read(connection, barrier.generation());
        if (now.isEmpty() || !now.get().state().open()) {
            throw new ControlException(ErrorCode.ABORTED, "the switch was aborted: %s".formatted(now.map(SwitchBarrier.Barrier::detail).filter(detail -> !detail.isEmpty())
                    .orElse("its barrier (generation %s) is %s".formatted(barrier.generation(), now.map(read -> read.state().name()).orElse("gone")))));
        }
    }

    static String describe(ServiceRecord.Backend backend, Optional<String> execution)
    {
        return backend == ServiceRecord.Backend.OWN ? "the own database" : "the source of migration execution " + execution.orElse("");
    }
}
