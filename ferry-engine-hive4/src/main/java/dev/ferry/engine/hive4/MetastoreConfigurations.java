package dev.ferry.engine.hive4;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.messaging.json.JSONMessageEncoder;

/**
 * The Hive metastore configuration of one engine: Hive's defaults, then Ferry's defaults where Hive's do not suit an
 * embedded service (each can be overridden), then the settings the operator passed through ({@code engine.properties},
 * {@code engine.site-file}), then what Ferry itself must decide (the database connection, schema checks, housekeeping),
 * which no setting overrides.
 */
final class MetastoreConfigurations
{
    static final String LOCAL_FILE_SYSTEM = "fs.file.impl";
    static final String MANAGED_WAREHOUSE = "managed";
    static final String EXTERNAL_WAREHOUSE = "external";

    private MetastoreConfigurations() {}

    static Configuration of(EngineSettings settings)
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        Map<String, String> overrides = settings.overrides();
        // Hive's defaults (/user/hive/warehouse, /warehouse/tablespace/external/hive) are HDFS paths that a machine
        // without HDFS cannot create; the two roots sit side by side, as Hive requires the external one to be
        // outside the managed one.
        setUnlessOverridden(conf, overrides, ConfVars.WAREHOUSE, settings.warehouseDirectory().resolve(MANAGED_WAREHOUSE).toUri().toString());
        setUnlessOverridden(conf, overrides, ConfVars.WAREHOUSE_EXTERNAL, settings.warehouseDirectory().resolve(EXTERNAL_WAREHOUSE).toUri().toString());
        // A local warehouse without a process per directory HMS makes; an override may name another.
        if (!overrides.containsKey(LOCAL_FILE_SYSTEM)) {
            conf.set(LOCAL_FILE_SYSTEM, LocalFileSystemWithoutChmodProcess.class.getName());
        }
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            conf.set(entry.getKey(), entry.getValue());
        }
        for (ConfVars owned : FERRY_OWNED) {
            conf.unset(owned.getHiveName());
        }
        MetastoreConf.setVar(conf, ConfVars.CONNECT_URL_KEY, settings.jdbcUrl());
        MetastoreConf.setVar(conf, ConfVars.CONNECTION_DRIVER, settings.databaseType().driverClass());
        MetastoreConf.setVar(conf, ConfVars.CONNECTION_USER_NAME, settings.user());
        MetastoreConf.setVar(conf, ConfVars.PWD, settings.password());
        // Clients reach the engine through Ferry's front only: the engine is not a client of another metastore.
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, "");
        // The schema is Ferry's to create and check; DataNucleus must never alter it.
        MetastoreConf.setBoolVar(conf, ConfVars.SCHEMA_VERIFICATION, true);
        MetastoreConf.setBoolVar(conf, ConfVars.AUTO_CREATE_ALL, false);
        MetastoreConf.setBoolVar(conf, ConfVars.METASTORE_HOUSEKEEPING_THREADS_ON,
                settings.backgroundTasks() == EngineSettings.BackgroundTasks.ON);
        if (settings.notificationLog() == EngineSettings.NotificationLog.ON) {
            addNotificationLogListener(conf);
        }
        return conf;
    }

    /** The settings Ferry decides itself; a value passed through for them is replaced (the server config refuses them). */
    static final List<ConfVars> FERRY_OWNED = List.of(ConfVars.CONNECT_URL_KEY, ConfVars.CONNECTION_DRIVER, ConfVars.CONNECTION_USER_NAME,
            ConfVars.PWD, ConfVars.THRIFT_URIS, ConfVars.SCHEMA_VERIFICATION, ConfVars.AUTO_CREATE_ALL, ConfVars.METASTORE_HOUSEKEEPING_THREADS_ON);

    /** Sets Ferry's default for a Hive setting unless the overrides name it, under either of its two names. */
    private static void setUnlessOverridden(Configuration conf, Map<String, String> overrides, ConfVars variable, String value)
    {
        if (!overrides.containsKey(variable.getVarname()) && !overrides.containsKey(variable.getHiveName())) {
            MetastoreConf.setVar(conf, variable, value);
        }
    }

    /**
     * Appends {@link NotificationLogListener} to the transactional listeners, after any the overrides name: Hive
     * wants the listener that writes the notification log last, so the events of the others are in the same
     * transaction before it. Plain JSON messages unless the overrides choose an encoder (Hive 4.0.1's own
     * default is gzip-compressed JSON; consumers pick the decoder by each event's message format).
     */
    private static void addNotificationLogListener(Configuration conf)
    {
        // In the order given: MetastoreConf.getStringCollection returns a set.
        List<String> listeners = new ArrayList<>();
        for (String listener : MetastoreConf.getVar(conf, ConfVars.TRANSACTIONAL_EVENT_LISTENERS).split(",")) {
            if (!listener.isBlank()) {
                listeners.add(listener.trim());
            }
        }
        if (!listeners.contains(NotificationLogListener.class.getName())) {
            listeners.add(NotificationLogListener.class.getName());
        }
        // Set under the metastore name, which Hive reads before the hive.* name an override may have used.
        MetastoreConf.setVar(conf, ConfVars.TRANSACTIONAL_EVENT_LISTENERS, String.join(",", listeners));
        ConfVars encoder = ConfVars.EVENT_MESSAGE_FACTORY;
        if (conf.get(encoder.getVarname()) == null && conf.get(encoder.getHiveName()) == null) {
            MetastoreConf.setVar(conf, encoder, JSONMessageEncoder.class.getName());
        }
    }
}
