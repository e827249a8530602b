package dev.ferry.demo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the demo started, closed in reverse order exactly once, from the demo's thread when it ends or fails, or
 * from the JVM's shutdown hook on Ctrl-C, whichever comes first.
 */
final class Resources
{
    interface Resource
    {
        void close()
                throws Exception;
    }

    private record Named(String name, Resource resource, boolean external) {}

    private final Deque<Named> open = new ArrayDeque<>();
    private boolean closed;

    /**
     * Registers a resource outside this JVM (a process, a directory); when already closed (the JVM is shutting
     * down) closes it at once and refuses.
     */
    void add(String name, Resource resource)
    {
        register(new Named(name, resource, true));
    }

    /**
     * Registers a resource that lives only in this JVM's daemon threads, such as the client workload: closed when
     * the demo ends, skipped when the JVM shuts down, where waiting for it would only delay stopping the processes
     * (its calls may hang on a source whose MariaDB is already being stopped).
     */
    void addInProcess(String name, Resource resource)
    {
        register(new Named(name, resource, false));
    }

    private void register(Named named)
    {
        String name = named.name();
        Resource resource = named.resource();
        requireNonNull(name, "name is null");
        requireNonNull(resource, "resource is null");
        synchronized (this) {
            if (!closed) {
                open.push(named);
                return;
            }
        }
        closeQuietly(named);
        throw new IllegalStateException("the demo is stopping");
    }

    /** Closes everything registered, newest first; returns the first failure, described, if any. */
    synchronized Optional<String> closeAll()
    {
        return close(false);
    }

    /** Closes what is outside this JVM, newest first, for a shutdown hook; returns the first failure, if any. */
    synchronized Optional<String> closeOnShutdown()
    {
        return close(true);
    }

    private Optional<String> close(boolean externalOnly)
    {
        closed = true;
        Optional<String> first = Optional.empty();
        while (!open.isEmpty()) {
            Named named = open.pop();
            if (externalOnly && !named.external()) {
                continue;
            }
            Optional<String> failure = closeQuietly(named);
            if (first.isEmpty()) {
                first = failure;
            }
        }
        return first;
    }

    private static Optional<String> closeQuietly(Named named)
    {
        try {
            named.resource().close();
            return Optional.empty();
        }
        catch (Exception | Error e) {
            return Optional.of("cannot stop %s: %s".formatted(named.name(), e.getMessage()));
        }
    }
}
