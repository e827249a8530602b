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

    private record Named(String name, Resource resource) {}

    private final Deque<Named> open = new ArrayDeque<>();
    private boolean closed;

    /** Registers a resource; when already closed (the JVM is shutting down) closes it at once and refuses. */
    void add(String name, Resource resource)
    {
        requireNonNull(name, "name is null");
        requireNonNull(resource, "resource is null");
        synchronized (this) {
            if (!closed) {
                open.push(new Named(name, resource));
                return;
            }
        }
        closeQuietly(new Named(name, resource));
        throw new IllegalStateException("the demo is stopping");
    }

    /** Closes everything registered, newest first; returns the first failure, described, if any. */
    synchronized Optional<String> closeAll()
    {
        closed = true;
        Optional<String> first = Optional.empty();
        while (!open.isEmpty()) {
            Optional<String> failure = closeQuietly(open.pop());
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
