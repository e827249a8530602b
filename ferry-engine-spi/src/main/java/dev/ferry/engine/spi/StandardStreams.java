package dev.ferry.engine.spi;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Runs a tool that prints to standard output (Hive's schema tool) with {@code System.out} and {@code System.err}
 * sent elsewhere. Those are the JVM's, not an engine's: two swaps at once (two engines' schema tools, as when
 * replicas of one JVM rehearse their standby engines together) would each restore what the other set, and leave the
 * JVM printing into a closed stream. So one at a time, under a lock of this class, which every engine's class
 * loader shares.
 */
public final class StandardStreams
{
    private static final ReentrantLock LOCK = new ReentrantLock();

    private StandardStreams() {}

    /** Runs {@code work} with standard output and error written to {@code into}; returns what it returns. */
    public static int capturedInto(OutputStream into, IntSupplier work)
    {
        LOCK.lock();
        PrintStream standardOut = System.out;
        PrintStream standardErr = System.err;
        try (PrintStream captured = new PrintStream(into, true, StandardCharsets.UTF_8)) {
            System.setOut(captured);
            System.setErr(captured);
            return work.getAsInt();
        }
        finally {
            System.setOut(standardOut);
            System.setErr(standardErr);
            LOCK.unlock();
        }
    }
}
