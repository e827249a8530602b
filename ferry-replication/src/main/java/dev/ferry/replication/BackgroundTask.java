package dev.ferry.replication;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Work run on a daemon thread of its own beside the caller's, whose result the caller joins: the cutover's verify
 * beside finalize, finalize's source read beside its own-database read.
 */
public final class BackgroundTask<T>
{
    private final String name;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private BackgroundTask(String name, Supplier<T> work)
    {
        this.name = name;
        this.thread = new Thread(() -> {
            try {
                result.complete(work.get());
            }
            catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, name);
        thread.setDaemon(true);
    }

    public static <T> BackgroundTask<T> start(String name, Supplier<T> work)
    {
        BackgroundTask<T> task = new BackgroundTask<>(name, work);
        task.thread.start();
        return task;
    }

    /** Waits for the result; a RuntimeException of the work is thrown as it was, anything else as INTERNAL. */
    public T join()
    {
        try {
            return result.join();
        }
        catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new ReplicationException(ReplicationException.Reason.INTERNAL, "%s failed: %s".formatted(name, e.getCause()), e.getCause());
        }
    }

    /** Waits until the thread has ended, also through interrupts (the interrupt is kept for the caller). */
    public void awaitEnd()
    {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
