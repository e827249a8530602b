package dev.ferry.replication.verify;

/**
 * Paces a verify: told after every chunk how long it took, it may wait before the next one, so that a verify running
 * beside a live workload takes only a share of the machine.
 */
@FunctionalInterface
public interface Pacer
{
    /** No pause: as fast as the databases answer. */
    Pacer NONE = chunkNanos -> {};

    void afterChunk(long chunkNanos)
            throws InterruptedException;
}
