package dev.ferry.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ReplicaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * This process as a replica of the service: registered in the control store when it starts, a heartbeat every
 * {@code interval} on a connection of its own (its row: seen now, what its front serves from, its write gate; back:
 * the service's record and how many replicas are live), marked STOPPED when it stops. What the last heartbeat
 * brought is kept for {@code /readyz}, which so asks the control store nothing itself.
 */
public final class Membership
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Membership.class);
    private static final Duration FORGET_AFTER = Duration.ofDays(1);
    private static final long FORGET_EVERY_NANOS = Duration.ofHours(1).toNanos();

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
     */
    public record Health(Optional<Duration> sinceLastBeat, Optional<String> lastError, Optional<ServiceRecord> service, int liveReplicas)
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
    private volatile ReplicaRecord.State state = ReplicaRecord.State.STARTING;
    private volatile boolean closed;
    // Written by the heartbeat thread only.
    private volatile long lastBeatNanos;
    private volatile String lastError;
    private volatile ServiceRecord lastService;
    private volatile int liveReplicas;
    private Connection connection;
    private long lastForgetNanos;

    private Membership(ControlStore store, ReplicaRecord self, Duration interval, Duration deadAfter)
    {
        this.store = requireNonNull(store, "store is null");
        this.replicas = new ReplicaStore(store);
        this.self = requireNonNull(self, "self is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.deadAfter = requireNonNull(deadAfter, "deadAfter is null");
        this.thread = new Thread(this::run, "ferry-membership");
        thread.setDaemon(true);
    }

    /** Registers {@code self} (state STARTING) and starts the heartbeats. */
    public static Membership start(ControlStore store, ReplicaRecord self, Duration interval, Duration deadAfter)
    {
        Membership membership = new Membership(store, self, interval, deadAfter);
        membership.replicas.register(self);
        membership.lastBeatNanos = System.nanoTime();
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

    /**
     * The replica serves clients: its row says so at once, with {@code self} as it is now (the ports its front and
     * HTTP bound).
     */
    public void serving(ReplicaRecord self)
    {
        if (!self.id().equals(this.self.id())) {
            throw new IllegalArgumentException("replica %s cannot stand for replica %s".formatted(self.id(), this.self.id()));
        }
        this.self = self;
        state = ReplicaRecord.State.SERVING;
        replicas.register(self);
    }

    public Health health()
    {
        long last = lastBeatNanos;
        Optional<Duration> since = last == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(System.nanoTime() - last));
        return new Health(since, Optional.ofNullable(lastError), Optional.ofNullable(lastService), liveReplicas);
    }

    private void run()
    {
        while (!closed) {
            beat();
            try {
                Thread.sleep(interval.toMillis());
            }
            catch (InterruptedException e) {
                // serving() or close(): beat again at once, or stop.
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
            }
            Local now = local.get();
            Optional<ReplicaStore.Beat> beat = ReplicaStore.heartbeat(connection, self.id(), reported, now.backend(), now.gate(), now.detail(), deadAfter);
            if (beat.isEmpty()) {
                log.warn("Replica {} had no row in the control store any more (deleted as unseen for {}); registered again", self.id(), FORGET_AFTER);
                replicas.register(self);
                return;
            }
            lastService = beat.get().service();
            liveReplicas = beat.get().liveReplicas();
            lastBeatNanos = sent;
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
