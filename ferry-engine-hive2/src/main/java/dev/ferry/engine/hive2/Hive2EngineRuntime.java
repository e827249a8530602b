package dev.ferry.engine.hive2;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.MessageEngineRuntime;
import org.apache.hadoop.hive.conf.HiveConf;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.IHMSHandler;
import org.apache.hadoop.hive.metastore.RawStore;
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
 * The HMS handler of Apache Hive Metastore 2.3.10 bound to one database, built as {@code HiveMetaStore} builds it for
 * its Thrift server ({@code newRetryingHMSHandler}: a retrying proxy over {@code HMSHandler}) behind Hive 2.3's own
 * generated Thrift processor, minus the server socket and the background threads (compactor, event cleaner). Ferry hands it each call as the message a client would send.
 */
final class Hive2EngineRuntime
        implements MessageEngineRuntime
{
    private static final Logger log = LoggerFactory.getLogger(Hive2EngineRuntime.class);
    /** The thread-local fields of Hive 2.3's HMSHandler that hold per-thread metastore state. */
    private static final List<String> THREAD_STATE = List.of("threadLocalMS", "threadLocalTxn", "threadLocalConf", "threadLocalId");

    private final EngineSettings settings;
    private final String databaseSchemaVersion;
    private final IHMSHandler handler;
    private final TProcessor processor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Hive2EngineRuntime(EngineSettings settings, String databaseSchemaVersion, IHMSHandler handler)
    {
        this.settings = requireNonNull(settings, "settings is null");
        this.databaseSchemaVersion = requireNonNull(databaseSchemaVersion, "databaseSchemaVersion is null");
        this.handler = requireNonNull(handler, "handler is null");
        this.processor = new ThriftHiveMetastore.Processor<>(handler);
    }

    static Hive2EngineRuntime start(EngineSettings settings, String databaseSchemaVersion)
    {
        if (settings.backgroundTasks() == EngineSettings.BackgroundTasks.ON) {
            log.warn("Engine {}: the Hive 2.3 engine runs no background tasks (engine.background-tasks is ignored)", settings.name());
        }
        if (settings.notificationLog() == EngineSettings.NotificationLog.ON) {
            log.info("Engine {}: the Hive 2.3 engine does not write the notification log (Hive 2.3's DbNotificationListener is in hive-hcatalog-server-extensions, which the engine does not carry)", settings.name());
        }
        HiveConf conf = MetastoreConfigurations.of(settings);
        try {
            // As HiveMetaStore's Thrift server builds its handler (local: the handler answers in this process).
            IHMSHandler handler = (IHMSHandler) HiveMetaStore.newRetryingHMSHandler("ferry-" + settings.name(), conf, true);
            return new Hive2EngineRuntime(settings, databaseSchemaVersion, handler);
        }
        catch (Exception | LinkageError e) {
            releaseHandlerThreadState();
            JvmLeakPrevention.releaseAll(Hive2EngineRuntime.class.getClassLoader());
            throw new EngineException(INTERNAL, "cannot start the Hive 2.3 metastore on %s: %s"
                    .formatted(settings.jdbcUrl(), Hive2EngineRuntimeFactory.rootMessage(e)), e);
        }
    }

    @Override
    public byte[] process(byte[] request)
    {
        TMemoryBuffer reply;
        try {
            // libthrift 0.14's memory transports declare TTransportException (their message size limits).
            reply = new TMemoryBuffer(256);
            processor.process(new TBinaryProtocol(new TMemoryInputTransport(request)), new TBinaryProtocol(reply));
        }
        catch (TException e) {
            // The generated processor answers every failure of a call in the reply; only a message it cannot read
            // ends here.
            throw new IllegalStateException("the Hive 2.3 engine could not read a call: " + e.getMessage(), e);
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
                    log.debug("Could not clear {} of the Hive 2.3 handler on {}", name, Thread.currentThread().getName(), e);
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
