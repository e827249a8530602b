package dev.ferry.engine.hive4;

import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;

/** The Hive metastore configuration of one engine, built from Ferry's settings alone (no site files). */
final class MetastoreConfigurations
{
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
        for (Map.Entry<String, String> entry : settings.overrides().entrySet()) {
            conf.set(entry.getKey(), entry.getValue());
        }
        return conf;
    }
}
