package dev.ferry.replication.backfill;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * What the reader of one table hands its writer, in order: COPY data, then the end of each chunk, then the end of
 * the scan. Bounded, so that a reader ahead of its writer holds at most a few blocks of data however large the
 * table; either side can cancel it, and the other then stops at its next step.
 */
final class ChunkPipe
{
    /** One item of the pipe. */
    sealed interface Segment {}

    /** COPY data of whole rows; a chunk's first block starts with the format's header, its last ends with the trailer. */
    record Data(byte[] bytes, int length)
            implements Segment
    {
        Data
        {
            requireNonNull(bytes, "bytes is null");
        }
    }

    /**
     * The end of a chunk: its rows, and the row key of its last row (empty for a table without one). {@code last}
     * when the scan has no more rows; a last chunk may have no rows (an empty table, or a table whose previous
     * chunk ended at its last row).
     */
    record ChunkEnd(long rows, Optional<List<Object>> lastKey, boolean last)
            implements Segment
    {
        ChunkEnd
        {
            requireNonNull(lastKey, "lastKey is null");
            lastKey = lastKey.map(List::copyOf);
        }
    }

    /** The reader stopped between chunks, as asked, before the end of the table. */
    record Stopped()
            implements Segment {}

    /** The reader failed: a {@link java.sql.SQLException} or a {@link RuntimeException}. */
    record Failed(Exception cause)
            implements Segment
    {
        Failed
        {
            requireNonNull(cause, "cause is null");
            if (!(cause instanceof java.sql.SQLException || cause instanceof RuntimeException)) {
                throw new IllegalArgumentException("a reader fails with an SQLException or a RuntimeException, not " + cause.getClass().getName());
            }
        }
    }

    private static final long POLL_MILLIS = 50;

    private final BlockingQueue<Segment> segments;
    private volatile boolean cancelled;

    ChunkPipe(int capacity)
    {
        segments = new ArrayBlockingQueue<>(capacity);
    }

    /** Waits for room, unless the pipe is cancelled. */
    void put(Segment segment)
            throws InterruptedException
    {
        requireNonNull(segment, "segment is null");
        throwIfCancelled();
        while (!segments.offer(segment, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            throwIfCancelled();
        }
    }

    /** Waits for the next segment, unless the pipe is cancelled. */
    Segment take()
            throws InterruptedException
    {
        Segment segment = segments.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        while (segment == null) {
            throwIfCancelled();
            segment = segments.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
        return segment;
    }

    void cancel()
    {
        cancelled = true;
        segments.clear();
    }

    boolean cancelled()
    {
        return cancelled;
    }

    private void throwIfCancelled()
    {
        if (cancelled) {
            throw new CancellationException("the other side of the backfill pipe stopped");
        }
    }
}
