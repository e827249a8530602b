package dev.ferry.control;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.ferry.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The engine on the own database that a cutover switches the front to, started and warmed while the migration
 * streams, so that completeMigration does not start one: an engine start takes seconds of CPU (17 s measured under 8
 * clients on 2 cores), which inside completeMigration stalled the clients calling through. Once started, its warm-up
 * calls are made again, a round every {@link #WARM_PACE} up to {@link #WARM_ROUNDS} rounds, so that its code is
 * compiled and not only loaded when its first client calls come. At most one, for one execution. It serves nothing
 * until the cutover takes it; it starts as the cutover's engine did (the own database then holds the backfill's copy
 * and apply's changes), and is closed when replication stops without a cutover.
 */
final class StandbyEngine
{
    private static final Logger log = LoggerFactory.getLogger(StandbyEngine.class);
    /** Bound on waiting for a start under way before closing what it started (a start takes seconds). */
    private static final Duration DISCARD_WAIT = Duration.ofMinutes(2);
    /** Whether standbys are started ({@code -Dferry.standbyEngine=false}: the cutover starts its engine, for comparison). */
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("ferry.standbyEngine", "true"));
    /** Rounds of warm-up calls after the start ({@code -Dferry.standbyWarmRounds}, 0 for none, for comparison). */
    static final int WARM_ROUNDS = Integer.getInteger("ferry.standbyWarmRounds", 200);
    static final Duration WARM_PACE = Duration.ofMillis(500);

    private final Supplier<Engine> start;
    private final Consumer<Engine> warmAgain;
    private Standby standby;
    /** The execution whose cutover took its standby: none is prepared for it again unless the cutover gives it back. */
    private String taken;

    /** One standby: its engine once started, and its warm-up rounds, which stop before anyone else uses the engine. */
    private static final class Standby
    {
        final String executionId;
        final CompletableFuture<Engine> engine;
        final AtomicBoolean stop = new AtomicBoolean();
        final Object round = new Object();

        Standby(String executionId, CompletableFuture<Engine> engine)
        {
            this.executionId = executionId;
            this.engine = engine;
        }

        /** Ends the warm-up rounds, waiting for the one under way. */
        void stopWarming()
        {
            // Taken once the round under way ended; a round checks the flag under it before it begins.
            synchronized (round) {
                stop.set(true);
            }
        }
    }

    /**
     * @param start starts and warms an engine on the own database
     * @param warmAgain makes the warm-up's calls again on it, quietly
     */
    StandbyEngine(Supplier<Engine> start, Consumer<Engine> warmAgain)
    {
        this.start = requireNonNull(start, "start is null");
        this.warmAgain = requireNonNull(warmAgain, "warmAgain is null");
    }

    /** Starts the standby for the execution in the background, unless one is started or starting for it. */
    synchronized void prepare(String executionId)
    {
        if (!ENABLED || standby != null && executionId.equals(standby.executionId) || executionId.equals(taken)) {
            return;
        }
        discard();
        Standby prepared = new Standby(executionId, new CompletableFuture<>());
        standby = prepared;
        Thread thread = new Thread(() -> run(prepared), "standby-engine");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(Standby prepared)
    {
        long began = System.nanoTime();
        Engine engine;
        try {
            engine = start.get();
        }
        catch (RuntimeException | Error e) {
            log.warn("Migration execution {}: the standby engine on the own database did not start ({}); the cutover starts one", prepared.executionId,
                    Text.escaped(String.valueOf(e.getMessage())));
            prepared.engine.completeExceptionally(e);
            return;
        }
        log.info("Migration execution {}: standby engine {} on the own database started for the cutover in {} ms", prepared.executionId, engine.name(),
                (System.nanoTime() - began) / 1_000_000);
        prepared.engine.complete(engine);
        long warming = System.nanoTime();
        int rounds = 0;
        try {
            while (rounds < WARM_ROUNDS && !prepared.stop.get()) {
                Thread.sleep(WARM_PACE.toMillis());
                synchronized (prepared.round) {
                    if (prepared.stop.get()) {
                        break;
                    }
                    warmAgain.accept(engine);
                    rounds++;
                }
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Migration execution {}: standby engine {} warmed again {} times in {} s", prepared.executionId, engine.name(), rounds,
                (System.nanoTime() - warming) / 1_000_000_000);
    }

    /**
     * The execution's standby, once its start ends and its warm-up rounds stop; an engine started now when none was
     * prepared for it or its start failed. The caller owns the engine.
     */
    Engine take(String executionId)
            throws InterruptedException
    {
        Standby prepared;
        synchronized (this) {
            prepared = standby != null && executionId.equals(standby.executionId) ? standby : null;
            if (prepared != null) {
                standby = null;
            }
            taken = executionId;
        }
        if (prepared != null) {
            try {
                if (!prepared.engine.isDone()) {
                    log.info("Migration execution {}: waiting for the standby engine's start to end", executionId);
                }
                Engine engine = prepared.engine.get();
                prepared.stopWarming();
                return engine;
            }
            catch (ExecutionException e) {
                // Logged when it failed; a second start is the cutover's own.
            }
            catch (InterruptedException e) {
                prepared.stop.set(true);
                prepared.engine.thenAccept(Engine::close);
                throw e;
            }
        }
        return start.get();
    }

    /** An aborted cutover's engine, which served nothing: the standby for the execution's next cutover. */
    synchronized void giveBack(String executionId, Engine engine)
    {
        discard();
        standby = new Standby(executionId, CompletableFuture.completedFuture(engine));
    }

    /** Closes the standby, waiting for a start under way to end first (it reads the own database, which may be deleted next). */
    synchronized void discard()
    {
        Standby discarded = standby;
        standby = null;
        taken = null;
        if (discarded == null) {
            return;
        }
        discarded.stop.set(true);
        try {
            Engine engine = discarded.engine.get(DISCARD_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            discarded.stopWarming();
            engine.close();
            log.info("Migration execution {}: standby engine {} closed", discarded.executionId, engine.name());
        }
        catch (ExecutionException e) {
            // It did not start: nothing to close.
        }
        catch (TimeoutException e) {
            log.warn("Migration execution {}: the standby engine did not start within {} s; closed when it does", discarded.executionId, DISCARD_WAIT.toSeconds());
            discarded.engine.thenAccept(Engine::close);
        }
        catch (InterruptedException e) {
            discarded.engine.thenAccept(Engine::close);
            Thread.currentThread().interrupt();
        }
    }
}
