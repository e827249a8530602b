package dev.ferry.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ReplicaStore;
import dev.ferry.control.store.SwitchBarrier;
import dev.ferry.front.WriteAuthority;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * This process as a replica of the service: registered in the control store when it starts, a heartbeat every
 * {@code interval} on a connection of its own (its row: seen now, what its front serves from, its write gate; back:
 * the service's record and how many replicas are live), marked STOPPED when it stops. What the last heartbeat
 * brought is kept for {@code /readyz}, which so asks the control store nothing itself.
 *
 * <p>It is also the replica's {@link WriteAuthority}: a write may be acknowledged only while the last heartbeat
 * that reached the control store was sent less than the view's lifetime ago (three quarters of
 * {@code replicas.dead-after}, so it ends before the other replicas stop counting this one as live), and no
 * heartbeat has read a generation of the service's backend record newer than the one this process switched to
 * (another replica switched while this one was cut off). A switch this process records itself is known at once.
 * A write that finds the view ended waits for the next heartbeat up to the last quarter of {@code replicas.dead-after}
 * ({@link #patience()}): a heartbeat late by a few seconds costs latency, not a failed call.
 */
public final class Membership
        implements WriteAuthority, AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Membership.class);
    private static final Duration FORGET_AFTER = Duration.ofDays(1);
    private static final long FORGET_EVERY_NANOS = Duration.ofHours(1).toNanos();
    // A heartbeat, or the heartbeat thread's wake-up, this much later than due is logged: it brings the write view's end nearer.
    private static final long SLOW_NANOS = Duration.ofSeconds(2).toNanos();

    /** What the replica reports of itself at each heartbeat. */
    public record Local(String backend, String gate, String detail)
    {
        public static final Local STARTING = new Local("", "", "starting");

        public Local
        {
            requireNonNull(backend, "backend is null");
            requireNonNull(gate, "gate is null");
            requireNonNull(detail, "detail is null");
        }
    }

    /**
     * What the last heartbeats found.
     *
     * @param sinceLastBeat how long ago the last heartbeat that reached the control store was sent; empty: none yet
     * @param lastError why the heartbeats after it failed, if they did
     * @param service the service's record as that heartbeat read it
     * @param liveReplicas the replicas live then, this one included
     * @param stale why this replica serves a backend the service switched away from, if it does
     */
    public record Health(Optional<Duration> sinceLastBeat, Optional<String> lastError, Optional<ServiceRecord> service, int liveReplicas, Optional<String> stale)
    {
        /** Whether the control store answered a heartbeat within {@code deadAfter}. */
        public boolean reachable(Duration deadAfter)
        {
            return sinceLastBeat.isPresent() && sinceLastBeat.get().compareTo(deadAfter) < 0;
        }
    }

    private final ControlStore store;
    private final ReplicaStore replicas;
    private volatile ReplicaRecord self;
    private final Duration interval;
    private final Duration deadAfter;
    private final Thread thread;
    private volatile Supplier<Local> local = () -> Local.STARTING;
    private volatile Follower follower;
    private volatile ReplicaRecord.State state = ReplicaRecord.State.STARTING;
    private volatile boolean closed;
    // Written by the heartbeat thread only.
    private volatile long lastBeatNanos;
    private volatile String lastError;
    private volatile ServiceRecord lastService;
    private volatile int liveReplicas;
    private Connection connection;
    private long lastForgetNanos;
    private final long viewNanos;
    // Held by a heartbeat and by serving(): each writes the replica's row from what it read of the state.
    private final Object rowLock = new Object();
    private final ReentrantLock viewLock = new ReentrantLock();
    private final Condition viewChanged = viewLock.newCondition();
    // Written under viewLock, read without it by every write's check: the generation this process serves (its own
    // switches), the newest one heartbeats read, and until when the last successful heartbeat lets writes be acknowledged.
    private volatile long servedGeneration;
    private volatile long learnedGeneration;
    private volatile long validUntilNanos;
    private int staleBeats;

    private Membership(ControlStore store, ReplicaRecord self, Duration interval, Duration deadAfter)
    {
        this.store = requireNonNull(store, "store is null");
        this.replicas = new ReplicaStore(store);
        this.self = requireNonNull(self, "self is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.deadAfter = requireNonNull(deadAfter, "deadAfter is null");
        this.viewNanos = deadAfter.toNanos() / 4 * 3;
        this.thread = new Thread(this::run, "ferry-membership");
        thread.setDaemon(true);
    }

    /** Registers {@code self} (state STARTING) and starts the heartbeats. */
    public static Membership start(ControlStore store, ReplicaRecord self, Duration interval, Duration deadAfter)
    {
        Membership membership = new Membership(store, self, interval, deadAfter);
        long sent = System.nanoTime();
        membership.replicas.register(self);
        membership.lastBeatNanos = sent;
        membership.confirmed(sent, 0);
        membership.lastForgetNanos = membership.lastBeatNanos - FORGET_EVERY_NANOS;
        membership.thread.start();
        log.info("Replica {} registered ({} on {}, pid {}); heartbeat every {} ms", self.id(), self.endpointUri(), self.host(), self.pid(), interval.toMillis());
        return membership;
    }

    public String replicaId()
    {
        return self.id();
    }

    /** From now on each heartbeat reports what {@code local} says. */
    public void report(Supplier<Local> local)
    {
        this.local = requireNonNull(local, "local is null");
    }

    /** What a replica does with what its heartbeats read of the service's backend and of the switch barrier. */
    public interface Follower
    {
        /** Called on the heartbeat thread after every heartbeat that reached the control store: must not block. */
        void observed(ServiceRecord service, Optional<SwitchBarrier.Barrier> barrier, long servedGeneration);
    }

    /** From now on each heartbeat tells {@code follower} what it read. */
    public void follow(Follower follower)
    {
        this.follower = requireNonNull(follower, "follower is null");
    }

    /** Waits up to {@code timeout} for a notification on the heartbeat connection (a switch barrier changed). */
    private void awaitNotification(Duration timeout)
            throws InterruptedException
    {
        Connection listening = connection;
        if (listening != null) {
            try {
                listening.unwrap(PGConnection.class).getNotifications((int) Math.max(1, timeout.toMillis()));
                return;
            }
            catch (SQLException e) {
                // The next heartbeat finds the connection broken and opens another.
            }
        }
        Thread.sleep(timeout.toMillis());
    }

    /**
     * The replica serves clients: its row says so at once, with {@code self} as it is now (the ports its front and
     * HTTP bound).
     */
    public void serving(ReplicaRecord self)
    {
        if (!self.id().equals(this.self.id())) {
            throw new IllegalArgumentException("replica %s cannot stand for replica %s".formatted(self.id(), this.self.id()));
        }
        // Its row says at once what it serves from and its gate: a listing between this and the next heartbeat shows them.
        synchronized (rowLock) {
            // Not between a heartbeat's read of the state and its write, which would report STARTING for one more interval.
            Local now = local.get();
            ReplicaRecord serving = new ReplicaRecord(self.id(), self.host(), self.pid(), self.endpointUri(), self.httpUri(), self.version(), self.dataDirectory(),
                    self.startTime(), self.lastSeenTime(), ReplicaRecord.State.SERVING, now.backend(), now.gate(), now.detail());
            this.self = serving;
            state = ReplicaRecord.State.SERVING;
            replicas.register(serving);
        }
    }

    public Health health()
    {
        long last = lastBeatNanos;
        Optional<Duration> since = last == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(System.nanoTime() - last));
        Optional<String> stale;
        viewLock.lock();
        try {
            stale = staleBeats >= 2 ? refusal() : Optional.empty();
        }
        finally {
            viewLock.unlock();
        }
        return new Health(since, Optional.ofNullable(lastError), Optional.ofNullable(lastService), liveReplicas, stale);
    }

    private void run()
    {
        // start() has just registered the replica: the first heartbeat is one interval later, or as soon as a switch
        // barrier changes (its notification wakes the wait).
        while (!closed) {
            long waited = System.nanoTime();
            try {
                awaitNotification(interval);
            }
            catch (InterruptedException e) {
                // close(): stop.
                continue;
            }
            long late = System.nanoTime() - waited - interval.toNanos();
            if (late > SLOW_NANOS) {
                // The wait is bounded by the interval: waking this late means this thread did not run (a long
                // garbage collection, or a machine short of CPU), which the heartbeat's silence is then due to.
                log.warn("Replica {}: the heartbeat thread woke {} ms late (the process or the machine stalled); {} ms since the last heartbeat reached the control store",
                        self.id(), late / 1_000_000, (System.nanoTime() - lastBeatNanos) / 1_000_000);
            }
            synchronized (rowLock) {
                beat();
            }
        }
        closeConnection();
    }

    private void beat()
    {
        long sent = System.nanoTime();
        ReplicaRecord.State reported = state;
        try {
            if (connection == null) {
                connection = store.dedicatedConnection("ferry/%s/membership".formatted(self.id()));
                try (Statement listen = connection.createStatement()) {
                    listen.execute("LISTEN " + SwitchBarrier.CHANNEL);
                }
                connection.commit();
            }
            Local now = local.get();
            Optional<ReplicaStore.Beat> beat = ReplicaStore.heartbeat(connection, self.id(), reported, now.backend(), now.gate(), now.detail(), deadAfter);
            if (beat.isEmpty()) {
                log.warn("Replica {} had no row in the control store any more (deleted as unseen for {}); registered again", self.id(), FORGET_AFTER);
                replicas.register(self);
                return;
            }
            long took = System.nanoTime() - sent;
            if (took > SLOW_NANOS) {
                log.warn("Replica {}: a heartbeat took {} ms (the control store answered slowly); writes wait, then are refused, when none succeeds for {} ms",
                        self.id(), took / 1_000_000, viewNanos / 1_000_000);
            }
            lastService = beat.get().service();
            liveReplicas = beat.get().liveReplicas();
            lastBeatNanos = sent;
            confirmed(sent, beat.get().service().generation());
            Follower following = follower;
            if (following != null) {
                following.observed(beat.get().service(), beat.get().barrier(), servedGeneration);
            }
            if (lastError != null) {
                log.info("Replica {} reaches the control store again", self.id());
                lastError = null;
            }
            if (sent - lastForgetNanos >= FORGET_EVERY_NANOS) {
                lastForgetNanos = sent;
                int forgotten = replicas.forgetUnseenFor(FORGET_AFTER);
                if (forgotten > 0) {
                    log.info("Forgot {} replica(s) unseen for {}", forgotten, FORGET_AFTER);
                }
            }
        }
        catch (SQLException | RuntimeException e) {
            if (closed) {
                return;
            }
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            if (lastError == null) {
                log.warn("Replica {} cannot reach the control store for its heartbeat: {}", self.id(), message);
            }
            lastError = message;
            closeConnection();
        }
    }

    /** A heartbeat sent at {@code sentNanos} reached the control store and read {@code generation}. */
    private void confirmed(long sentNanos, long generation)
    {
        viewLock.lock();
        try {
            learnedGeneration = Math.max(learnedGeneration, generation);
            validUntilNanos = sentNanos + viewNanos;
            // A switch this process records is read by a heartbeat a moment before the router takes it: stale only when
            // it lasts over two heartbeats.
            staleBeats = learnedGeneration > servedGeneration && servedGeneration > 0 ? staleBeats + 1 : 0;
            if (staleBeats == 2) {
                log.warn("The service switched its backend to generation {}; replica {} still serves generation {} and refuses writes until it serves the new one",
                        learnedGeneration, self.id(), servedGeneration);
            }
            viewChanged.signalAll();
        }
        finally {
            viewLock.unlock();
        }
    }

    @Override
    public Optional<String> refusal(long generation)
    {
        return refusal();
    }

    /** Lock-free: it runs on every write. */
    private Optional<String> refusal()
    {
        if (learnedGeneration > servedGeneration) {
            return Optional.of("the service switched to generation %s of its backend; this replica (%s) still serves generation %s and takes no write until it serves the new one".formatted(
                    learnedGeneration, self.id(), servedGeneration));
        }
        long now = System.nanoTime();
        if (now - validUntilNanos > 0) {
            String failing = lastError;
            return Optional.of("this replica (%s) has not reached the control store for %s ms%s, so it cannot confirm which database serves writes".formatted(
                    self.id(), (now - lastBeatNanos) / 1_000_000, failing == null ? "" : " (its heartbeats fail: %s)".formatted(failing)));
        }
        return Optional.empty();
    }

    @Override
    public boolean awaitConfirmed(long generation, Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        viewLock.lock();
        try {
            while (true) {
                if (learnedGeneration > servedGeneration) {
                    return false;
                }
                if (refusal().isEmpty()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                viewChanged.await(left, TimeUnit.NANOSECONDS);
            }
        }
        finally {
            viewLock.unlock();
        }
    }

    /**
     * The time between the view's end and the other replicas' counting this one as gone (a quarter of
     * {@code replicas.dead-after}): a write that finds the view ended waits that long for a late heartbeat.
     */
    @Override
    public Duration patience()
    {
        return deadAfter.minusNanos(viewNanos);
    }

    @Override
    public void switched(long generation)
    {
        viewLock.lock();
        try {
            servedGeneration = Math.max(servedGeneration, generation);
            viewChanged.signalAll();
        }
        finally {
            viewLock.unlock();
        }
    }

    private void closeConnection()
    {
        if (connection != null) {
            try {
                connection.close();
            }
            catch (SQLException ignored) {
                // Broken already.
            }
            connection = null;
        }
    }

    /** Stops the heartbeats and marks the replica STOPPED (if the control store can be reached). */
    @Override
    public void close()
    {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            replicas.stopped(self.id());
            log.info("Replica {} marked stopped in the control store", self.id());
        }
        catch (RuntimeException e) {
            log.warn("Could not mark replica {} stopped in the control store (others see it UNREACHABLE after {} s): {}", self.id(), deadAfter.toSeconds(), e.getMessage());
        }
    }
}
