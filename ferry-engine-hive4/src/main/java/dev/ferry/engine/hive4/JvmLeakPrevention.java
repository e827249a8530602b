package dev.ferry.engine.hive4;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.ferry.engine.spi.EngineThreads;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hive.metastore.HMSHandler;
import org.apache.hadoop.hive.metastore.PersistenceManagerProvider;
import org.apache.hadoop.hive.metastore.ThreadPool;
import org.apache.hadoop.hive.metastore.txn.TxnHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases what Hive, Hadoop and the JDBC drivers of one engine leave in JVM-wide places (static pools, threads,
 * the driver list, shutdown hooks, MBeans), so that closing the engine's classloader frees it. Each step is
 * independent and only logs when it fails: a leak is a cost, not a reason to fail a shutdown.
 */
final class JvmLeakPrevention
{
    private static final Logger log = LoggerFactory.getLogger(JvmLeakPrevention.class);

    private JvmLeakPrevention() {}

    static void releaseAll(ClassLoader engineLoader)
    {
        run("JDO persistence manager factories", () -> {
            PersistenceManagerProvider.closePmfIfNeeded(false, true);
            PersistenceManagerProvider.closePmfIfNeeded(true, true);
        });
        run("TxnHandler connection pools", () -> {
            for (String name : List.of("connPool", "connPoolMutex", "connPoolCompactor")) {
                Field field = TxnHandler.class.getDeclaredField(name);
                field.setAccessible(true);
                if (field.get(null) instanceof AutoCloseable pool) {
                    pool.close();
                }
                field.set(null, null);
            }
        });
        run("HMSHandler file system pool", () -> {
            Field field = HMSHandler.class.getDeclaredField("threadPool");
            field.setAccessible(true);
            if (field.get(null) instanceof ExecutorService pool) {
                pool.shutdownNow();
            }
            field.set(null, null);
        });
        run("metastore task pool", ThreadPool::shutdown);
        run("Hadoop file systems", FileSystem::closeAll);
        run("MBeans", () -> unregisterMBeans(engineLoader));
        run("JVM shutdown hooks", () -> removeShutdownHooks(engineLoader));
        run("JDBC drivers", () -> deregisterJdbcDrivers(engineLoader));
        run("thread-local values", () -> clearThreadLocals(engineLoader));
        run("threads", () -> EngineThreads.stop(engineLoader));
    }

    static void deregisterJdbcDrivers(ClassLoader engineLoader)
    {
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == engineLoader) {
                try {
                    DriverManager.deregisterDriver(driver);
                }
                catch (SQLException e) {
                    log.warn("Could not deregister JDBC driver {}", driver.getClass().getName(), e);
                }
            }
        }
    }

    private static void unregisterMBeans(ClassLoader engineLoader)
            throws Exception
    {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : server.queryNames(null, null)) {
            if (server.getClassLoaderFor(name) == engineLoader) {
                server.unregisterMBean(name);
            }
        }
    }

    /**
     * Hadoop's ShutdownHookManager registers a JVM shutdown hook from the engine's classloader, which would keep
     * the classloader alive until the JVM exits. Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which
     * Ferry's launcher passes; without it the hook (and the classloader) stays.
     */
    private static void removeShutdownHooks(ClassLoader engineLoader)
            throws Exception
    {
        Class<?> hooksClass = Class.forName("java.lang.ApplicationShutdownHooks");
        Field field = hooksClass.getDeclaredField("hooks");
        field.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<Thread, Thread> hooks = (Map<Thread, Thread>) field.get(null);
        if (hooks == null) {
            // The JVM is shutting down and running the hooks already.
            return;
        }
        List<Thread> ours = new ArrayList<>();
        synchronized (hooksClass) {
            for (Thread hook : hooks.keySet()) {
                if (EngineThreads.belongsTo(hook, engineLoader)) {
                    ours.add(hook);
                }
            }
        }
        for (Thread hook : ours) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    /**
     * Values of the engine's classes left in thread-local maps (HMS keeps its RawStore, PerfLogger and deadlines
     * per thread) on threads that outlive the engine. The engine is stopped and no thread calls it any more, so
     * the entries are cleared on every thread, as Tomcat does for a stopped web application. Needs
     * {@code --add-opens java.base/java.lang=ALL-UNNAMED}.
     */
    private static void clearThreadLocals(ClassLoader engineLoader)
            throws ReflectiveOperationException
    {
        Field threadLocals = Thread.class.getDeclaredField("threadLocals");
        Field inheritableThreadLocals = Thread.class.getDeclaredField("inheritableThreadLocals");
        threadLocals.setAccessible(true);
        inheritableThreadLocals.setAccessible(true);
        Class<?> mapClass = Class.forName("java.lang.ThreadLocal$ThreadLocalMap");
        Field table = mapClass.getDeclaredField("table");
        table.setAccessible(true);
        Field value = Class.forName("java.lang.ThreadLocal$ThreadLocalMap$Entry").getDeclaredField("value");
        value.setAccessible(true);
        int cleared = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            for (Field mapField : List.of(threadLocals, inheritableThreadLocals)) {
                Object map = mapField.get(thread);
                if (map == null) {
                    continue;
                }
                Object[] entries = (Object[]) table.get(map);
                for (Object entry : entries) {
                    if (entry == null) {
                        continue;
                    }
                    Reference<?> key = (Reference<?>) entry;
                    Object threadLocal = key.get();
                    if (loadedBy(threadLocal, engineLoader) || loadedBy(value.get(entry), engineLoader)) {
                        value.set(entry, null);
                        key.clear();
                        cleared++;
                    }
                }
            }
        }
        log.debug("Cleared {} thread-local values of a stopped engine", cleared);
    }

    private static boolean loadedBy(Object object, ClassLoader engineLoader)
    {
        if (object == null) {
            return false;
        }
        if (object.getClass().getClassLoader() == engineLoader) {
            return true;
        }
        if (object instanceof Reference<?> reference) {
            Object referent = reference.get();
            return referent != null && referent.getClass().getClassLoader() == engineLoader;
        }
        return false;
    }

    private interface Step
    {
        void run()
                throws Exception;
    }

    private static void run(String what, Step step)
    {
        try {
            step.run();
        }
        catch (Exception | LinkageError e) {
            log.warn("Could not release {} of a stopped engine: {}", what, e.toString());
        }
    }
}
