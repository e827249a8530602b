package dev.ferry.engine.spi;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the threads a stopped engine left running, for each engine's leak prevention: only JDK calls, so one copy
 * serves the engines of every Hive version (this package is loaded by Ferry's classloader, not the engine's).
 */
public final class EngineThreads
{
    private static final Logger log = LoggerFactory.getLogger(EngineThreads.class);
    /** {@code Thread.target}, the task of a plain thread; null when java.lang is not open to Ferry. */
    private static final Field TARGET = threadTarget();

    private EngineThreads() {}

    /**
     * Threads started by the engine's code (Hadoop's statistics cleaner, pools a library did not close) would keep
     * the classloader alive; all of them stop on interrupt. JDK system threads that merely inherited the engine's
     * context classloader (the process reaper, after a subprocess) are not the engine's to stop: they get Ferry's
     * system classloader as their context instead.
     */
    public static void stop(ClassLoader engineLoader)
            throws InterruptedException
    {
        List<Thread> ours = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread == Thread.currentThread() || !thread.isAlive() || !belongsTo(thread, engineLoader)) {
                continue;
            }
            if (isSystemThread(thread)) {
                thread.setContextClassLoader(ClassLoader.getSystemClassLoader());
            }
            else {
                ours.add(thread);
            }
        }
        for (Thread thread : ours) {
            thread.interrupt();
        }
        for (Thread thread : ours) {
            thread.join(2_000);
            if (thread.isAlive()) {
                log.warn("Thread {} of a stopped engine did not stop", thread.getName());
            }
        }
    }

    private static boolean isSystemThread(Thread thread)
    {
        ThreadGroup group = thread.getThreadGroup();
        return thread.getClass().getClassLoader() == null && group != null && group.getParent() == null;
    }

    /** Whether the thread is the engine's: of its classes, with its classloader as context, or running its code. */
    public static boolean belongsTo(Thread thread, ClassLoader engineLoader)
    {
        return thread.getClass().getClassLoader() == engineLoader || thread.getContextClassLoader() == engineLoader
                || runsEngineCode(thread, engineLoader);
    }

    /**
     * A plain {@link Thread} running a task of the engine's classes, with no context classloader: the PostgreSQL
     * driver's cleanup thread ({@code PostgreSQL-JDBC-Cleaner}) is one; left alone it waits 30 s for work before it
     * ends, holding the engine's classloader until then, and ends at once on interrupt when its driver has no open
     * connection left.
     */
    private static boolean runsEngineCode(Thread thread, ClassLoader engineLoader)
    {
        if (TARGET == null) {
            return false;
        }
        try {
            Object task = TARGET.get(thread);
            return task != null && task.getClass().getClassLoader() == engineLoader;
        }
        catch (IllegalAccessException e) {
            return false;
        }
    }

    private static Field threadTarget()
    {
        try {
            Field target = Thread.class.getDeclaredField("target");
            target.setAccessible(true);
            return target;
        }
        catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
