package dev.ferry.front;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.hadoop.hive.metastore.api.MetaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Holds write calls while the metastore's database is being switched; never holds reads. A held write waits until
 * the gate opens, at most the hold bound, then fails with a {@link MetaException} that says a cutover is in
 * progress and the call may be retried. The gate also counts writes in flight, so a cutover can wait for the
 * writes that passed before the hold.
 */
public final class WriteGate
{
    public enum State
    {
        OPEN,
        HOLD_WRITES,
    }

    private static final Logger log = LoggerFactory.getLogger(WriteGate.class);

    private final Duration holdBound;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private State state = State.OPEN;
    private int writesInFlight;
    private int writesWaiting;
    private long closedAt;
    private long firstHeldAt;
    private int writesHeld;
    /** Set while {@link #holdWritesIfIdleWithin} waits: the write that leaves none in flight closes the gate. */
    private boolean holdWhenIdle;
    /** When the gate last had no write in flight (System.nanoTime), for {@link #idleWithin}. */
    private long lastIdleAt = System.nanoTime();
    /** Writes the gate held that then passed and are still running. */
    private int heldWritesRunning;
    /** Set on the thread of a write the gate held and then let pass, until its exit. */
    private final ThreadLocal<Boolean> heldCall = new ThreadLocal<>();

    /**
     * What one hold did to writes: how long the gate was closed, how many writes it held, and the write pause
     * (from the moment the first of them was held to the release; zero when it held none).
     */
    public record Hold(Duration closed, int writesHeld, Duration writePause) {}

    public WriteGate(Duration holdBound)
    {
        requireNonNull(holdBound, "holdBound is null");
        if (holdBound.isNegative() || holdBound.isZero()) {
            throw new IllegalArgumentException("holdBound must be positive: " + holdBound);
        }
        this.holdBound = holdBound;
    }

    public Duration holdBound()
    {
        return holdBound;
    }

    public State state()
    {
        lock.lock();
        try {
            return state;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Lets a call pass: reads at once, writes once the gate is open. A caller that passed must call
     * {@link #exit(MethodClass)} when the call is done.
     *
     * @throws MetaException when a write was held for the whole hold bound
     */
    public void enter(MethodClass methodClass, String methodName)
            throws MetaException
    {
        if (!methodClass.writes()) {
            return;
        }
        lock.lock();
        try {
            if (state == State.HOLD_WRITES) {
                awaitOpen(methodName);
            }
            if (writesInFlight == 0) {
                lastIdleAt = System.nanoTime();
            }
            writesInFlight++;
        }
        finally {
            lock.unlock();
        }
    }

    private void awaitOpen(String methodName)
            throws MetaException
    {
        long remaining = holdBound.toNanos();
        writesWaiting++;
        if (writesHeld++ == 0) {
            firstHeldAt = System.nanoTime();
        }
        try {
            while (state == State.HOLD_WRITES) {
                if (remaining <= 0) {
                    throw new MetaException(("Ferry is switching this metastore to another database (cutover in "
                            + "progress); %s was held for %s ms and not applied. Retry the call.")
                            .formatted(methodName, holdBound.toMillis()));
                }
                remaining = changed.awaitNanos(remaining);
            }
            heldWritesRunning++;
            heldCall.set(Boolean.TRUE);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetaException("interrupted while %s was held for a cutover; it was not applied".formatted(methodName));
        }
        finally {
            if (--writesWaiting == 0) {
                changed.signalAll();
            }
        }
    }

    /** Ends a call that {@link #enter(MethodClass, String)} let pass. */
    public void exit(MethodClass methodClass)
    {
        if (!methodClass.writes()) {
            return;
        }
        lock.lock();
        try {
            writesInFlight--;
            if (writesInFlight == 0) {
                lastIdleAt = System.nanoTime();
                if (holdWhenIdle && state == State.OPEN) {
                    holdWhenIdle = false;
                    holdWrites();
                }
            }
            boolean wasHeld = heldCall.get() != null;
            if (wasHeld) {
                heldCall.remove();
                heldWritesRunning--;
            }
            if (writesInFlight == 0 || wasHeld && heldWritesRunning == 0) {
                changed.signalAll();
            }
        }
        finally {
            lock.unlock();
        }
    }

    /** OPEN → HOLD_WRITES: writes that arrive from now on wait. Writes already in flight go on. */
    public void holdWrites()
    {
        lock.lock();
        try {
            transition(State.OPEN, State.HOLD_WRITES);
            closedAt = System.nanoTime();
            writesHeld = 0;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * OPEN → HOLD_WRITES at a moment when no write is in flight, if one comes within {@code patience}; returns
     * whether it held (else the gate stays open). Until then writes pass as usual, so waiting costs no client
     * anything, whereas holding while writes run makes every write that arrives wait for them to finish on the old
     * database. The check and the hold are one step under the gate's lock: no write can pass between them.
     */
    public boolean holdWritesIfIdleWithin(Duration patience)
            throws InterruptedException
    {
        lock.lock();
        try {
            if (writesInFlight == 0) {
                holdWrites();
                return true;
            }
            // The write whose end leaves none in flight closes the gate itself (exit), under the lock: a write that
            // arrives at that instant cannot pass before the hold, however brief the moment.
            holdWhenIdle = true;
            try {
                long remaining = patience.toNanos();
                while (state == State.OPEN) {
                    if (remaining <= 0) {
                        return false;
                    }
                    remaining = changed.awaitNanos(remaining);
                }
                return true;
            }
            catch (InterruptedException e) {
                if (state == State.HOLD_WRITES) {
                    // Closed for this caller, which will not release it: open it again.
                    transition(State.HOLD_WRITES, State.OPEN);
                }
                throw e;
            }
            finally {
                holdWhenIdle = false;
            }
        }
        finally {
            lock.unlock();
        }
    }

    /** HOLD_WRITES → OPEN: held writes go on. Returns what the hold did. */
    public Hold release()
    {
        lock.lock();
        try {
            transition(State.HOLD_WRITES, State.OPEN);
            long now = System.nanoTime();
            return new Hold(Duration.ofNanos(now - closedAt), writesHeld, writesHeld == 0 ? Duration.ZERO : Duration.ofNanos(now - firstHeldAt));
        }
        finally {
            lock.unlock();
        }
    }

    private void transition(State expected, State next)
    {
        lock.lock();
        try {
            if (state != expected) {
                throw new IllegalStateException("cannot move the write gate from %s to %s: it is %s"
                        .formatted(expected, next, state));
            }
            state = next;
            changed.signalAll();
            log.info("Write gate {} -> {} ({} writes in flight, {} waiting)", expected, next, writesInFlight, writesWaiting);
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the writes the last hold held have run (each passed the gate when it opened, or failed at the hold
     * bound), not for writes that came after; returns whether that happened in time. A cutover waits for them before
     * it stops replication and closes the old engine, so that this work does not take the CPU from them.
     */
    public boolean awaitHeldWritesDone(Duration timeout)
            throws InterruptedException
    {
        lock.lock();
        try {
            long remaining = timeout.toNanos();
            while (writesWaiting > 0 && state == State.OPEN || heldWritesRunning > 0) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = changed.awaitNanos(remaining);
            }
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits until no write that passed the gate is still running; returns whether that happened in time. */
    public boolean awaitWritesDrained(Duration timeout)
            throws InterruptedException
    {
        lock.lock();
        try {
            return awaitNoWriteInFlight(timeout);
        }
        finally {
            lock.unlock();
        }
    }

    /** With the lock held: waits until no write is in flight (exit() signals when the last one ends), at most the timeout. */
    private boolean awaitNoWriteInFlight(Duration timeout)
            throws InterruptedException
    {
        long remaining = timeout.toNanos();
        while (writesInFlight > 0) {
            if (remaining <= 0) {
                return false;
            }
            remaining = changed.awaitNanos(remaining);
        }
        return true;
    }

    /**
     * Whether there was a moment with no write in flight within the last {@code period} (now included): a workload
     * that left none for a while is not waited on for one.
     */
    public boolean idleWithin(Duration period)
    {
        lock.lock();
        try {
            return writesInFlight == 0 || System.nanoTime() - lastIdleAt <= period.toNanos();
        }
        finally {
            lock.unlock();
        }
    }

    public int writesInFlight()
    {
        lock.lock();
        try {
            return writesInFlight;
        }
        finally {
            lock.unlock();
        }
    }

    /** The writes waiting for the gate to open now. */
    public int writesWaiting()
    {
        lock.lock();
        try {
            return writesWaiting;
        }
        finally {
            lock.unlock();
        }
    }
}
