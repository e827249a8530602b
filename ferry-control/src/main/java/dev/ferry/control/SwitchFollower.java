package dev.ferry.control;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import dev.ferry.control.model.ExecutionState;
import dev.ferry.control.model.Phase;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ControlSession;
import dev.ferry.control.store.SwitchBarrier;
import dev.ferry.engine.Engine;
import dev.ferry.front.Router;
import dev.ferry.front.WriteGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A replica's side of the switches other replicas lead (see {@link SwitchBarrier}), and its catching up with a
 * switch it missed. Told by every heartbeat what it read; acts on a thread of its own:
 * <ul>
 * <li>a barrier in PREPARE: starts an engine on the new backend, then says it is ready;</li>
 * <li>in HOLD: holds its writes, waits for those in flight, then says it holds them (if they do not finish within
 * a quarter of the hold bound it releases them and does not confirm: the leader then aborts); past the hold's
 * deadline it aborts the barrier itself and releases;</li>
 * <li>COMMITTED, or any record of the service newer than what it serves: switches its front to the recorded backend
 * (on the engine it prepared, or a new one) and releases;</li>
 * <li>ABORTED: releases its writes on the backend it serves and closes the engine it prepared, unless it is one on the
 * own database while the service serves from a migration's source: that one is kept for the next cutover.</li>
 * </ul>
 * Until it serves the newest generation its {@link Membership} refuses writes, held or not.
 */
final class SwitchFollower
        implements Membership.Follower, AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(SwitchFollower.class);

    private record Observation(ServiceRecord service, Optional<SwitchBarrier.Barrier> barrier, long served) {}

    private final ControlStore store;
    private final ControlSession session;
    private final String self;
    private final Supplier<Router> router;
    private final BiFunction<ServiceRecord.Backend, Optional<String>, Engine> engines;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "ferry-switch-follower");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicReference<Observation> latest = new AtomicReference<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean closed;

    /** Whether an engine on the own database should be started ahead of the cutover; whether one may be kept. */
    private volatile boolean warmWanted;
    private volatile boolean warmKept;
    private final AtomicBoolean warmScheduled = new AtomicBoolean();

    // The worker thread's own.
    /** An engine on the own database started while the migration streams, for the cutover's switch to take. */
    private Engine warm;
    private Engine prepared;
    private long preparedGeneration;
    // Whether the engine prepared is for a cutover (on the own database, which holds the migration's copy).
    private boolean preparedForCutover;
    private long heldGeneration;
    private long failedGeneration;

    SwitchFollower(ControlStore store, String self, Supplier<Router> router, BiFunction<ServiceRecord.Backend, Optional<String>, Engine> engines)
    {
        this.store = requireNonNull(store, "store is null");
        this.self = requireNonNull(self, "self is null");
        this.router = requireNonNull(router, "router is null");
        this.engines = requireNonNull(engines, "engines is null");
        // Confirmations under a hold must not wait for a new connection's start, which the write pause would include.
        this.session = new ControlSession(store);
    }

    @Override
    public void observed(ServiceRecord service, Optional<SwitchBarrier.Barrier> barrier, long servedGeneration)
    {
        latest.set(new Observation(service, barrier, servedGeneration));
        if (!closed && scheduled.compareAndSet(false, true)) {
            worker.execute(this::act);
        }
    }

    /**
     * Every second, from the control plane, on a replica that does not run the migration: whether the migration
     * streams (or is in its cutover) from the source this replica serves, so that an engine on the own database
     * should be started now, off the cutover's path (it is taken through its write paths on a scratch schema, seconds
     * of CPU that made the cutover's prepare, and so client calls, wait with several replicas); and whether one
     * started may be kept (the service still serves from a migration's source).
     */
    void ownEngineAhead(boolean wanted, boolean kept)
    {
        warmWanted = wanted;
        warmKept = kept;
        if (!closed && warmScheduled.compareAndSet(false, true)) {
            worker.execute(this::tendWarm);
        }
    }

    private void tendWarm()
    {
        warmScheduled.set(false);
        if (closed) {
            return;
        }
        try {
            if (warm != null && !warmKept) {
                log.info("Replica {}: closing the engine on the own database it started ahead of the cutover (no migration streams from the source now)", self);
                warm.close();
                warm = null;
            }
            else if (warm == null && warmWanted && prepared == null) {
                long started = System.nanoTime();
                warm = engines.apply(ServiceRecord.Backend.OWN, Optional.empty());
                log.info("Replica {}: engine {} on the own database started ahead of the cutover in {} ms", self, warm.name(), (System.nanoTime() - started) / 1_000_000);
            }
        }
        catch (RuntimeException e) {
            log.warn("Replica {}: could not start an engine on the own database ahead of the cutover ({}); the cutover starts one", self, Text.escaped(String.valueOf(e.getMessage())));
        }
    }

    /** The engine started ahead of the cutover, for a switch to the own database; empty for others. */
    private Optional<Engine> takeWarm(ServiceRecord.Backend backend)
    {
        if (backend != ServiceRecord.Backend.OWN || warm == null) {
            return Optional.empty();
        }
        Engine taken = warm;
        warm = null;
        return Optional.of(taken);
    }

    /** Whether the live migration is in its cutover (a switch to the own database is then the cutover's). */
    private boolean cutoverUnderWay()
    {
        return session.inTransaction(connection -> ControlStore.readLiveExecution(connection)
                .map(execution -> execution.state() == ExecutionState.RUNNING && execution.phase() == Phase.CUTOVER).orElse(false));
    }

    private void act()
    {
        scheduled.set(false);
        Observation observation = latest.get();
        Router front = router.get();
        if (closed || observation == null || front == null) {
            return;
        }
        try {
            act(observation, front);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (RuntimeException | Error e) {
            log.error("Replica {}: following the service's switch failed: {}", self, Text.escaped(String.valueOf(e.getMessage())), e);
        }
    }

    private void act(Observation observation, Router front)
            throws InterruptedException
    {
        long served = observation.served();
        SwitchBarrier.Barrier barrier = observation.barrier().orElse(null);
        boolean othersBarrier = barrier != null && !barrier.leader().equals(self) && barrier.generation() > served;
        if (othersBarrier && barrier.state().open()) {
            if (preparedGeneration != barrier.generation() && failedGeneration != barrier.generation()) {
                prepare(barrier);
            }
            if (barrier.state() == SwitchBarrier.State.HOLD && preparedGeneration == barrier.generation()) {
                if (heldGeneration != barrier.generation()) {
                    hold(front, barrier);
                }
                else if (barrier.pastDeadline() && session.inTransaction(connection -> SwitchBarrier.abortPastDeadline(connection, barrier.generation(), self))) {
                    log.warn("Replica {}: the switch to generation {} did not commit before its hold's deadline; aborted it, writes released", self, barrier.generation());
                    release(front);
                }
            }
            return;
        }
        // No barrier of another replica is open: a switch to the generation this replica could not prepare is tried
        // afresh if it is announced again (a retried completeMigration), as is one it prepared or held for (the
        // announcement reset its confirmations).
        failedGeneration = 0;
        ServiceRecord service = observation.service();
        // The leader switches itself: between its commit and its router taking the engine, its heartbeat may read the
        // record first.
        boolean ownSwitch = barrier != null && barrier.leader().equals(self) && barrier.generation() >= service.generation();
        if (service.generation() > served && !ownSwitch) {
            follow(front, service);
        }
        else if (heldGeneration != 0) {
            // The barrier this replica held for ended without a switch of it (ABORTED, or a newer one came).
            release(front);
        }
        if (prepared != null && (barrier == null || !barrier.state().open() || barrier.generation() != preparedGeneration)) {
            if (preparedForCutover && warm == null && warmKept && service.backend() == ServiceRecord.Backend.SOURCE) {
                // An aborted cutover's engine served nothing: the engine ahead of the next cutover, which then does not
                // wait for another to start (tens of seconds on a loaded machine).
                log.info("Replica {}: keeps the engine it prepared for generation {} (the switch did not happen) for the next cutover", self, preparedGeneration);
                warm = prepared;
                prepared = null;
                preparedGeneration = 0;
            }
            else {
                log.info("Replica {}: closing the engine it prepared for generation {} (the switch did not happen)", self, preparedGeneration);
                discardPrepared();
            }
        }
    }

    /** Starts an engine on the barrier's backend; says it is ready, or aborts the barrier saying why it cannot. */
    private void prepare(SwitchBarrier.Barrier barrier)
    {
        discardPrepared();
        String target = ReplicaSwitch.describe(barrier.backend(), barrier.backendExecution());
        log.info("Replica {}: switch to generation {} ({}) announced by replica {}; starting an engine on it", self, barrier.generation(), target, barrier.leader());
        long started = System.nanoTime();
        boolean cutover;
        try {
            cutover = barrier.backend() == ServiceRecord.Backend.OWN && cutoverUnderWay();
            Optional<Engine> ahead = takeWarm(barrier.backend());
            if (ahead.isPresent() && !cutover) {
                // A cancel's switch: the own database is a fresh metastore again, maybe of another schema version.
                ahead.get().close();
                ahead = Optional.empty();
            }
            prepared = ahead.isPresent() ? ahead.get() : engines.apply(barrier.backend(), barrier.backendExecution());
        }
        catch (RuntimeException e) {
            failedGeneration = barrier.generation();
            String why = "replica %s cannot start an engine on %s: %s".formatted(self, target, e.getMessage());
            log.error("Replica {}: {}; aborting the switch", self, why);
            session.inTransaction(connection -> SwitchBarrier.abort(connection, barrier.generation(), why));
            return;
        }
        preparedGeneration = barrier.generation();
        preparedForCutover = cutover;
        session.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, self, barrier.generation(), false);
            return null;
        });
        log.info("Replica {}: ready for generation {} (engine {} started in {} ms)", self, barrier.generation(), prepared.name(), (System.nanoTime() - started) / 1_000_000);
    }

    private void hold(Router front, SwitchBarrier.Barrier barrier)
            throws InterruptedException
    {
        long started = System.nanoTime();
        front.gate().holdWrites();
        heldGeneration = barrier.generation();
        Optional<String> late = Cutover.awaitWritesInFlight(front.gate());
        if (late.isPresent()) {
            log.warn("Replica {}: {} for the switch to generation {}; writes released, the hold not confirmed (the switch aborts)", self, late.get(), barrier.generation());
            release(front);
            return;
        }
        session.inTransaction(connection -> {
            SwitchBarrier.confirm(connection, self, barrier.generation(), true);
            return null;
        });
        log.info("Replica {}: writes held for the switch to generation {} ({} ms)", self, barrier.generation(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Switches the front to the backend the service's record names, and releases held writes. */
    private void follow(Router front, ServiceRecord service)
            throws InterruptedException
    {
        String target = ReplicaSwitch.describe(service.backend(), service.backendExecution());
        Engine engine;
        if (prepared != null && preparedGeneration == service.generation()) {
            engine = prepared;
            prepared = null;
        }
        else {
            discardPrepared();
            // Not the engine started ahead of a cutover: this switch may have been a cancel's.
            takeWarm(ServiceRecord.Backend.OWN).ifPresent(Engine::close);
            log.info("Replica {}: the service serves from {} since generation {}; starting an engine on it", self, target, service.generation());
            engine = engines.apply(service.backend(), service.backendExecution());
        }
        Engine previous = front.switchTo(engine, service.generation());
        String released = "";
        if (heldGeneration != 0) {
            WriteGate.Hold hold = front.gate().release();
            heldGeneration = 0;
            // As the leader reports its own (the cutover benchmark reads it): from the first write held to the release.
            released = "; writes released: write pause %s ms (%s writes held; gate closed %s ms)".formatted(hold.writePause().toMillis(), hold.writesHeld(),
                    hold.closed().toMillis());
        }
        log.info("Replica {} serves from {} now (generation {}){}", self, target, service.generation(), released);
        if (!previous.awaitIdle(Duration.ofSeconds(30))) {
            log.warn("Replica {}: engine {} still had calls in flight after 30 s; closing it anyway", self, previous.name());
        }
        previous.close();
    }

    private void release(Router front)
    {
        if (heldGeneration != 0) {
            front.gate().release();
            heldGeneration = 0;
        }
    }

    private void discardPrepared()
    {
        if (prepared != null) {
            prepared.close();
            prepared = null;
        }
        preparedGeneration = 0;
        preparedForCutover = false;
    }

    @Override
    public void close()
    {
        closed = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isTerminated()) {
            discardPrepared();
            if (warm != null) {
                warm.close();
                warm = null;
            }
            session.close();
        }
    }
}
