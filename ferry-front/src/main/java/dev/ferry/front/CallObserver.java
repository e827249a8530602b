package dev.ferry.front;

/**
 * Told of every HMS call the {@link Router} served, once it is answered: for metrics, which the front knows nothing
 * of (ferry-control implements it). It runs on the call's thread, after the answer is ready but before Thrift writes
 * it, so it must be quick and must not block: no locks, no I/O.
 */
@FunctionalInterface
public interface CallObserver
{
    /** Observes nothing. */
    CallObserver NONE = (method, methodClass, nanos, failure) -> {};

    /**
     * One call of {@code method} (its Thrift name, classified as {@code methodClass}) that took {@code nanos},
     * including any time the write gate held it; {@code failure} is what it threw, or null when it answered.
     */
    void called(String method, MethodClass methodClass, long nanos, Throwable failure);
}
