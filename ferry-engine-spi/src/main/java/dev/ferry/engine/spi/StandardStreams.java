package dev.ferry.engine.spi;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Runs a tool that prints to standard output (Hive's schema tool) with what its thread writes to {@code System.out}
 * and {@code System.err} sent elsewhere. Those are the JVM's, not an engine's, so:
 * <ul>
 * <li>Only the tool's thread is captured: what other threads print meanwhile still reaches the JVM's own streams
 * (before, all of it went into the tool's capture, which is logged at debug level: a line of {@code ferry demo}'s
 * progress, or of a benchmark's results, printed while a standby engine's schema tool ran was lost).</li>
 * <li>One capture at a time, under a lock of this class, which every engine's class loader shares: two swaps at
 * once (two engines' schema tools, as when replicas of one JVM rehearse their standby engines together) would each
 * restore what the other set.</li>
 * </ul>
 */
public final class StandardStreams
{
    private static final ReentrantLock LOCK = new ReentrantLock();

    private StandardStreams() {}

    /** Runs {@code work} with its thread's standard output and error written to {@code into}; returns what it returns. */
    public static int capturedInto(OutputStream into, IntSupplier work)
    {
        LOCK.lock();
        PrintStream standardOut = System.out;
        PrintStream standardErr = System.err;
        ThreadRouting out = new ThreadRouting(Thread.currentThread(), into, standardOut);
        ThreadRouting err = new ThreadRouting(Thread.currentThread(), into, standardErr);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return work.getAsInt();
        }
        finally {
            System.setOut(standardOut);
            System.setErr(standardErr);
            // A stream some code kept meanwhile writes to the JVM's own from now on, whichever thread writes.
            out.end();
            err.end();
            LOCK.unlock();
        }
    }

    /** Writes of one thread to the capture while it runs, every other write to the stream it replaced. */
    private static final class ThreadRouting
            extends OutputStream
    {
        private final Thread tool;
        private final OutputStream capture;
        private final PrintStream standard;
        private volatile boolean ended;

        ThreadRouting(Thread tool, OutputStream capture, PrintStream standard)
        {
            this.tool = tool;
            this.capture = capture;
            this.standard = standard;
        }

        void end()
        {
            ended = true;
        }

        private OutputStream target()
        {
            return !ended && Thread.currentThread() == tool ? capture : standard;
        }

        @Override
        public void write(int b)
                throws IOException
        {
            target().write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length)
                throws IOException
        {
            target().write(bytes, offset, length);
        }

        @Override
        public void flush()
                throws IOException
        {
            target().flush();
        }
    }
}
