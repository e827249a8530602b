package dev.ferry.engine.hive3;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.MessageEngineRuntime;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.IHMSHandler;
import org.apache.hadoop.hive.metastore.RawStore;
import org.apache.hadoop.hive.metastore.RetryingHMSHandler;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.thrift.TException;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.INTERNAL;
import static java.util.Objects.requireNonNull;

/**
 * The HMS handler of Apache Hive Metastore 3.1.3 bound to one database, built as {@code HiveMetaStore} builds it for
 * its Thrift server (a retrying proxy over {@code HMSHandler}) behind Hive 3.1's own generated Thrift processor,
 * minus the server socket and the background tasks. Ferry hands it each call as the message a client would send.
 */
final class Hive3EngineRuntime
        implements MessageEngineRuntime
{
    private static final Logger log = LoggerFactory.getLogger(Hive3EngineRuntime.class);
    /** The thread-local fields of Hive 3.1's HMSHandler that hold per-thread metastore state. */
    private static final List<String> THREAD_STATE = List.of("threadLocalMS", "threadLocalTxn", "threadLocalConf",
            "threadLocalModifiedConfig", "threadLocalHMSHandler", "timerContexts");

    private final EngineSettings settings;
    private final String databaseSchemaVersion;
    private final IHMSHandler handler;
    private final TProcessor processor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Hive3EngineRuntime(EngineSettings settings, String databaseSchemaVersion, IHMSHandler handler)
    {
        this.settings = requireNonNull(settings, "settings is null");
        this.databaseSchemaVersion = requireNonNull(databaseSchemaVersion, "databaseSchemaVersion is null");
        this.handler = requireNonNull(handler, "handler is null");
        this.processor = new ThriftHiveMetastore.Processor<>(handler);
    }

    static Hive3EngineRuntime start(EngineSettings settings, String databaseSchemaVersion)
    {
        if (settings.backgroundTasks() == EngineSettings.BackgroundTasks.ON) {
            log.warn("Engine {}: the Hive 3.1 engine runs no background tasks (engine.background-tasks is ignored)", settings.name());
        }
        if (settings.notificationLog() == EngineSettings.NotificationLog.ON) {
            log.info("Engine {}: the Hive 3.1 engine does not write the notification log (Hive 3.1's DbNotificationListener needs hive-exec)", settings.name());
        }
        Configuration conf = MetastoreConfigurations.of(settings);
        try {
            IHMSHandler handler = RetryingHMSHandler.getProxy(conf, new HiveMetaStore.HMSHandler("ferry-" + settings.name(), conf, true), false);
            return new Hive3EngineRuntime(settings, databaseSchemaVersion, handler);
        }
        catch (Exception | LinkageError e) {
            releaseHandlerThreadState();
            JvmLeakPrevention.releaseAll(Hive3EngineRuntime.class.getClassLoader());
            throw new EngineException(INTERNAL, "cannot start the Hive 3.1 metastore on %s: %s"
                    .formatted(settings.jdbcUrl(), Hive3EngineRuntimeFactory.rootMessage(e)), e);
        }
    }

    @Override
    public byte[] process(byte[] request)
    {
        TMemoryBuffer reply = new TMemoryBuffer(256);
        try {
            processor.process(new TBinaryProtocol(new TMemoryInputTransport(request)), new TBinaryProtocol(reply));
        }
        catch (TException e) {
            // The generated processor answers every failure of a call in the reply; only a message it cannot read
            // ends here.
            throw new IllegalStateException("the Hive 3.1 engine could not read a call: " + e.getMessage(), e);
        }
        return reply.getArray().length == reply.length() ? reply.getArray() : java.util.Arrays.copyOf(reply.getArray(), reply.length());
    }

    /** As HMS's {@code TUGIAssumingProcessor} runs a SASL client's call. */
    @Override
    public <T> T callAs(String user, Callable<T> call)
            throws Exception
    {
        return EngineRuntime.callInside(action -> UserGroupInformation.createRemoteUser(user).doAs(action), call);
    }

    @Override
    public String databaseSchemaVersion()
    {
        return databaseSchemaVersion;
    }

    @Override
    public void releaseThreadState()
    {
        releaseHandlerThreadState();
    }

    private static void releaseHandlerThreadState()
    {
        try {
            RawStore store = HiveMetaStore.HMSHandler.getRawStore();
            if (store != null) {
                store.shutdown();
            }
        }
        finally {
            for (String name : THREAD_STATE) {
                try {
                    Field field = HiveMetaStore.HMSHandler.class.getDeclaredField(name);
                    field.setAccessible(true);
                    ((ThreadLocal<?>) field.get(null)).remove();
                }
                catch (ReflectiveOperationException | RuntimeException e) {
                    log.debug("Could not clear {} of the Hive 3.1 handler on {}", name, Thread.currentThread().getName(), e);
                }
            }
        }
    }

    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            handler.shutdown();
        }
        catch (TException | RuntimeException e) {
            log.warn("Could not shut down the handler of engine {}", settings.name(), e);
        }
        releaseHandlerThreadState();
        JvmLeakPrevention.releaseAll(getClass().getClassLoader());
    }
}
