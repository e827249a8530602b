package dev.ferry.engine.hive4;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.DirectEngineRuntime;
import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HMSHandler;
import org.apache.hadoop.hive.metastore.HMSHandlerContext;
import org.apache.hadoop.hive.metastore.HMSHandlerProxyFactory;
import org.apache.hadoop.hive.metastore.IHMSHandler;
import org.apache.hadoop.hive.metastore.RawStore;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.hadoop.hive.metastore.leader.HouseKeepingTasks;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.thrift.TException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.INTERNAL;
import static java.util.Objects.requireNonNull;

/**
 * The HMS handler of Apache Hive Metastore 4.0.1 bound to one database, built the way {@code HiveMetaStore}
 * builds it for its Thrift server, minus the Thrift server and, unless asked for, the background tasks.
 */
final class Hive4EngineRuntime
        implements DirectEngineRuntime
{
    private static final Logger log = LoggerFactory.getLogger(Hive4EngineRuntime.class);

    private final EngineSettings settings;
    private final String databaseSchemaVersion;
    private final IHMSHandler handler;
    private final List<HouseKeepingTasks> backgroundTasks;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Hive4EngineRuntime(EngineSettings settings, String databaseSchemaVersion, IHMSHandler handler, List<HouseKeepingTasks> backgroundTasks)
    {
        this.settings = requireNonNull(settings, "settings is null");
        this.databaseSchemaVersion = requireNonNull(databaseSchemaVersion, "databaseSchemaVersion is null");
        this.handler = requireNonNull(handler, "handler is null");
        this.backgroundTasks = List.copyOf(backgroundTasks);
    }

    static Hive4EngineRuntime start(EngineSettings settings, String databaseSchemaVersion)
    {
        Configuration conf = MetastoreConfigurations.of(settings);
        List<HouseKeepingTasks> tasks = new ArrayList<>();
        try {
            IHMSHandler handler = HMSHandlerProxyFactory.getProxy(conf, new HMSHandler("ferry-" + settings.name(), conf), false);
            if (settings.backgroundTasks() == EngineSettings.BackgroundTasks.ON) {
                for (boolean remoteOnly : new boolean[] {false, true}) {
                    HouseKeepingTasks housekeeping = new HouseKeepingTasks(conf, remoteOnly);
                    housekeeping.takeLeadership(null);
                    tasks.add(housekeeping);
                }
            }
            return new Hive4EngineRuntime(settings, databaseSchemaVersion, handler, tasks);
        }
        catch (Exception e) {
            releaseHandlerThreadState();
            JvmLeakPrevention.releaseAll(Hive4EngineRuntime.class.getClassLoader());
            throw new EngineException(INTERNAL, "cannot start the metastore on %s: %s"
                    .formatted(settings.jdbcUrl(), Hive4EngineRuntimeFactory.rootMessage(e)), e);
        }
    }

    @Override
    public ThriftHiveMetastore.Iface handler()
    {
        return handler;
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

    @Override
    public boolean discardIdBlocks()
    {
        javax.jdo.PersistenceManager manager = org.apache.hadoop.hive.metastore.PersistenceManagerProvider.getPersistenceManager();
        try {
            javax.jdo.PersistenceManagerFactory factory = manager.getPersistenceManagerFactory();
            // The generators hold the id blocks (SEQUENCE_TABLE increments); the next insert creates them anew.
            ((org.datanucleus.api.jdo.JDOPersistenceManagerFactory) factory).getNucleusContext().getStoreManager().getValueGenerationManager().clear();
            factory.getDataStoreCache().evictAll();
            return true;
        }
        finally {
            manager.close();
        }
    }

    private static void releaseHandlerThreadState()
    {
        try {
            HMSHandlerContext.getRawStore().ifPresent(RawStore::shutdown);
        }
        finally {
            HMSHandlerContext.clear();
        }
    }

    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (HouseKeepingTasks tasks : backgroundTasks) {
            try {
                tasks.lossLeadership(null);
            }
            catch (Exception e) {
                log.warn("Could not stop the background tasks of engine {}", settings.name(), e);
            }
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
