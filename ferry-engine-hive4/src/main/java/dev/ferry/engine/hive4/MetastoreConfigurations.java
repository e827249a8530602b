package dev.ferry.engine.hive4;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.messaging.json.JSONMessageEncoder;

/** The Hive metastore configuration of one engine, built from Ferry's settings alone (no site files). */
final class MetastoreConfigurations
{
    static final String LOCAL_FILE_SYSTEM = "fs.file.impl";

    private MetastoreConfigurations() {}

    static Configuration of(EngineSettings settings)
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, ConfVars.CONNECT_URL_KEY, settings.jdbcUrl());
        MetastoreConf.setVar(conf, ConfVars.CONNECTION_DRIVER, settings.databaseType().driverClass());
        MetastoreConf.setVar(conf, ConfVars.CONNECTION_USER_NAME, settings.user());
        MetastoreConf.setVar(conf, ConfVars.PWD, settings.password());
        MetastoreConf.setVar(conf, ConfVars.WAREHOUSE, settings.warehouseDirectory().toUri().toString());
        MetastoreConf.setVar(conf, ConfVars.WAREHOUSE_EXTERNAL, settings.warehouseDirectory().resolve("external").toUri().toString());
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, "");
        // The schema is Ferry's to create and check; DataNucleus must never alter it.
        MetastoreConf.setBoolVar(conf, ConfVars.SCHEMA_VERIFICATION, true);
        MetastoreConf.setBoolVar(conf, ConfVars.AUTO_CREATE_ALL, false);
        MetastoreConf.setVar(conf, ConfVars.CONNECTION_POOLING_TYPE, "HikariCP");
        MetastoreConf.setBoolVar(conf, ConfVars.METASTORE_HOUSEKEEPING_THREADS_ON,
                settings.backgroundTasks() == EngineSettings.BackgroundTasks.ON);
        // A local warehouse without a process per directory HMS makes; an override may name another.
        conf.set(LOCAL_FILE_SYSTEM, LocalFileSystemWithoutChmodProcess.class.getName());
        for (Map.Entry<String, String> entry : settings.overrides().entrySet()) {
            conf.set(entry.getKey(), entry.getValue());
        }
        if (settings.notificationLog() == EngineSettings.NotificationLog.ON) {
            addNotificationLogListener(conf);
        }
        return conf;
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
