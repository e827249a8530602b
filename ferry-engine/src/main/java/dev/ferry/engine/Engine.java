package dev.ferry.engine;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.spi.DatabaseType;
import dev.ferry.engine.spi.DirectEngineRuntime;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.MessageEngineRuntime;
import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A running Apache Hive Metastore engine bound to one database, in a classloader of its own. Every call runs with
 * that classloader as the thread's context classloader and is counted, so a caller can wait until the calls in
 * flight are done before closing it.
 */
public final class Engine
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    /** How long closing waits for threads dropping their state of this engine. */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(5);

    private final EngineSettings settings;
    private final String hiveVersion;
    private final ChildFirstClassLoader classLoader;
    private final EngineRuntime runtime;
    private final ThriftHiveMetastore.Iface handler;
    private final ThriftHiveMetastore.Iface client;
    private final Object inFlightLock = new Object();
    private int inFlight;
    /** Threads dropping their state of this engine ({@link #releaseThreadState}); guarded by inFlightLock. */
    private int releasing;
    private final AtomicBoolean closed = new AtomicBoolean();

    Engine(EngineSettings settings, String hiveVersion, ChildFirstClassLoader classLoader, EngineRuntime runtime)
    {
        this.settings = requireNonNull(settings, "settings is null");
        this.hiveVersion = requireNonNull(hiveVersion, "hiveVersion is null");
        this.classLoader = requireNonNull(classLoader, "classLoader is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.handler = handlerOf(runtime);
        this.client = (ThriftHiveMetastore.Iface) Proxy.newProxyInstance(Engine.class.getClassLoader(),
                new Class<?>[] {ThriftHiveMetastore.Iface.class}, (proxy, method, arguments) -> invoke(method, arguments));
    }

    private static ThriftHiveMetastore.Iface handlerOf(EngineRuntime runtime)
    {
        if (runtime instanceof DirectEngineRuntime direct) {
            return direct.handler();
        }
        if (runtime instanceof MessageEngineRuntime messages) {
            return MessageBridge.iface(messages);
        }
        throw new IllegalArgumentException("engine runtime %s is neither direct nor message-based".formatted(runtime.getClass().getName()));
    }

    public String name()
    {
        return settings.name();
    }

    public String jdbcUrl()
    {
        return settings.jdbcUrl();
    }

    public DatabaseType databaseType()
    {
        return settings.databaseType();
    }

    public String hiveVersion()
    {
        return hiveVersion;
    }

    public ClassLoader classLoader()
    {
        return classLoader;
    }

    public String databaseSchemaVersion()
    {
        return EngineHost.withContextLoader(classLoader, runtime::databaseSchemaVersion);
    }

    /**
     * Calls one {@link ThriftHiveMetastore.Iface} method on this engine and returns its result; an exception the
     * method throws (such as {@code NoSuchObjectException}) is thrown as it is.
     */
    public Object invoke(Method method, Object[] arguments)
            throws Throwable
    {
        synchronized (inFlightLock) {
            inFlight++;
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(classLoader);
        try {
            return method.invoke(handler, arguments);
        }
        catch (InvocationTargetException e) {
            throw e.getCause();
        }
        finally {
            thread.setContextClassLoader(previous);
            synchronized (inFlightLock) {
                inFlight--;
                if (inFlight == 0) {
                    inFlightLock.notifyAll();
                }
            }
        }
    }

    /**
     * Runs {@code call} (calls on this engine, made as by {@link #invoke}) as the given user of the engine's Hadoop
     * security, as HMS runs each call of a client that authenticated with Kerberos; what it throws is thrown as it is.
     */
    public <T> T callAs(String user, Callable<T> call)
            throws Exception
    {
        requireNonNull(user, "user is null");
        requireNonNull(call, "call is null");
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(classLoader);
        try {
            return runtime.callAs(user, call);
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * This engine's API as a typed interface, each call made as by {@link #invoke}; for direct calls (warm-up,
     * tests) rather than client traffic, which goes through the router.
     */
    public ThriftHiveMetastore.Iface client()
    {
        return client;
    }

    /** The number of calls running on this engine now. */
    public int callsInFlight()
    {
        synchronized (inFlightLock) {
            return inFlight;
        }
    }

    /** Waits until no call runs on this engine, at most the timeout; returns whether it is idle. */
    public boolean awaitIdle(Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (inFlightLock) {
            while (inFlight > 0) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                Duration wait = Duration.ofNanos(remaining);
                inFlightLock.wait(Math.max(1, wait.toMillis()));
            }
            return true;
        }
    }

    /**
     * Drops the metastore's per-thread state of this engine on the calling thread; nothing once the engine is closed
     * (closing clears that state on every thread). {@link #close} waits for the drops under way: while one runs, the
     * thread has this engine's classloader as its context, and closing stops (interrupts) the threads that have it.
     * An interrupted thread of the front would carry the interrupt into its next call, on another engine.
     */
    public void releaseThreadState()
    {
        synchronized (inFlightLock) {
            if (closed.get()) {
                return;
            }
            releasing++;
        }
        try {
            EngineHost.withContextLoader(classLoader, () -> {
                runtime.releaseThreadState();
                return null;
            });
        }
        finally {
            synchronized (inFlightLock) {
                releasing--;
                if (releasing == 0) {
                    inFlightLock.notifyAll();
                }
            }
        }
    }

    /**
     * Drops the id blocks and cached objects the engine took from the database it wrote (see
     * {@link dev.ferry.engine.spi.EngineRuntime#discardIdBlocks}); false when this engine's version cannot.
     */
    public boolean discardIdBlocks()
    {
        return EngineHost.withContextLoader(classLoader, runtime::discardIdBlocks);
    }

    /** Stops the engine and closes its classloader. Calls still in flight fail. */
    @Override
    public void close()
    {
        synchronized (inFlightLock) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            // No drop of per-thread state starts from now on; those under way are short, but bounded anyway.
            long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
            while (releasing > 0 && System.nanoTime() < deadline) {
                try {
                    inFlightLock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        long started = System.nanoTime();
        try {
            EngineHost.withContextLoader(classLoader, () -> {
                runtime.close();
                return null;
            });
        }
        finally {
            EngineHost.closeQuietly(classLoader);
        }
        log.info("Engine {} stopped in {} ms", name(), (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public String toString()
    {
        return "Engine[%s, Hive %s, %s]".formatted(name(), hiveVersion, jdbcUrl());
    }
}
