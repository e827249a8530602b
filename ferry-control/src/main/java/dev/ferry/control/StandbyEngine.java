package dev.ferry.control;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.ferry.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The engine on the own database that a cutover switches the front to, started and warmed while the migration
 * streams, so that completeMigration does not start one: an engine start takes seconds of CPU (17 s measured under 8
 * clients on 2 cores), which inside completeMigration stalled the clients calling through. At most one, for one
 * execution. It serves nothing until the cutover takes it; it starts as the cutover's engine did (the own database
 * then holds the backfill's copy and apply's changes), and is closed when replication stops without a cutover.
 */
final class StandbyEngine
{
    private static final Logger log = LoggerFactory.getLogger(StandbyEngine.class);
    /** Bound on waiting for a start under way before closing what it started (a start takes seconds). */
    private static final Duration DISCARD_WAIT = Duration.ofMinutes(2);
    /** Whether standbys are started ({@code -Dferry.standbyEngine=false}: the cutover starts its engine, for comparison). */
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("ferry.standbyEngine", "true"));

    private final Supplier<Engine> start;
    /** The standby, started or starting, and whose it is; null when there is none. */
    private Prepared prepared;
    /** The execution whose cutover took its standby: none is prepared for it again unless the cutover gives it back. */
    private String taken;

    /**
     * @param start starts and warms an engine on the own database
     */
    StandbyEngine(Supplier<Engine> start)
    {
        this.start = requireNonNull(start, "start is null");
    }

    private record Prepared(String executionId, CompletableFuture<Engine> engine)
    {
        boolean of(String id)
        {
            return executionId.equals(id);
        }
    }

    /** Starts the standby for the execution in the background, unless one is started or starting for it. */
    synchronized void prepare(String executionId)
    {
        if (!ENABLED || prepared != null && prepared.of(executionId) || executionId.equals(taken)) {
            return;
        }
        discard();
        CompletableFuture<Engine> future = new CompletableFuture<>();
        prepared = new Prepared(executionId, future);
        Thread thread = new Thread(() -> {
            long began = System.nanoTime();
            try {
                Engine engine = start.get();
                log.info("Migration execution {}: standby engine {} on the own database started for the cutover in {} ms", executionId, engine.name(),
                        (System.nanoTime() - began) / 1_000_000);
                future.complete(engine);
            }
            catch (RuntimeException | Error e) {
                log.warn("Migration execution {}: the standby engine on the own database did not start ({}); the cutover starts one", executionId,
                        Text.escaped(String.valueOf(e.getMessage())));
                future.completeExceptionally(e);
            }
        }, "standby-engine");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The execution's standby, once its start ends; an engine started now when none was prepared for it or its start
     * failed. The caller owns the engine.
     */
    Engine take(String executionId)
            throws InterruptedException
    {
        CompletableFuture<Engine> future = null;
        synchronized (this) {
            if (prepared != null && prepared.of(executionId)) {
                future = prepared.engine();
                prepared = null;
            }
            taken = executionId;
        }
        if (future != null) {
            try {
                if (!future.isDone()) {
                    log.info("Migration execution {}: waiting for the standby engine's start to end", executionId);
                }
                return future.get();
            }
            catch (ExecutionException e) {
                // Logged when it failed; a second start is the cutover's own.
            }
            catch (InterruptedException e) {
                future.thenAccept(Engine::close);
                throw e;
            }
        }
        return start.get();
    }

    /** An aborted cutover's engine, which served nothing: the standby for the execution's next cutover. */
    synchronized void giveBack(String executionId, Engine engine)
    {
        discard();
        log.info("Migration execution {}: engine {} of the aborted cutover is kept for the next cutover", executionId, engine.name());
        prepared = new Prepared(executionId, CompletableFuture.completedFuture(engine));
    }

    /** Closes the standby unless it is the execution's. */
    synchronized void discardUnlessOf(String executionId)
    {
        if (prepared == null || !prepared.of(executionId)) {
            discard();
        }
    }

    /** Closes the standby, waiting for a start under way to end first (it reads the own database, which may be deleted next). */
    synchronized void discard()
    {
        Prepared discarded = prepared;
        prepared = null;
        taken = null;
        if (discarded == null) {
            return;
        }
        CompletableFuture<Engine> future = discarded.engine();
        String id = discarded.executionId();
        try {
            Engine engine = future.get(DISCARD_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            engine.close();
            log.info("Migration execution {}: standby engine {} closed", id, engine.name());
        }
        catch (ExecutionException e) {
            // It did not start: nothing to close.
        }
        catch (TimeoutException e) {
            log.warn("Migration execution {}: the standby engine did not start within {} s; closed when it does", id, DISCARD_WAIT.toSeconds());
            future.thenAccept(Engine::close);
        }
        catch (InterruptedException e) {
            future.thenAccept(Engine::close);
            Thread.currentThread().interrupt();
        }
    }
}
