package dev.ferry.engine.hive3;

import java.util.Locale;
import java.util.Map;

import dev.ferry.engine.spi.DatabaseType;
import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.DefaultPartitionExpressionProxy;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.events.EventCleanerTask;

/** The Hive 3.1 metastore configuration of one engine, built from Ferry's settings alone (no site files). */
final class MetastoreConfigurations
{
    private MetastoreConfigurations() {}

    static Configuration of(EngineSettings settings)
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setVar(conf, ConfVars.CONNECT_URL_KEY, jdbcUrl(settings));
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
        // Hive 3.1's defaults name classes of hive-exec, which a standalone metastore does not have: the partition
        // expression proxy (PartitionExpressionForMetastore) and the always-on tasks (the materialized view
        // rebuild tracker). The standalone metastore's own ones answer what they can without it.
        MetastoreConf.setVar(conf, ConfVars.EXPRESSION_PROXY_CLASS, DefaultPartitionExpressionProxy.class.getName());
        MetastoreConf.setVar(conf, ConfVars.TASK_THREADS_ALWAYS, EventCleanerTask.class.getName());
        // A local warehouse without a chmod process per directory HMS makes (the Hive 4 engine has the same class:
        // both run Hadoop 3.3.6); an override may name another.
        conf.set("fs.file.impl", LocalFileSystemWithoutChmodProcess.class.getName());
        for (Map.Entry<String, String> entry : settings.overrides().entrySet()) {
            conf.set(entry.getKey(), entry.getValue());
        }
        return conf;
    }

    /**
     * The JDBC URL the engine uses. Hive 3.1 recognises a database by the product name its JDBC driver reports
     * (TxnHandler, DataNucleus), and knows "MySQL" but not the "MariaDB" of MariaDB's driver, so that driver is
     * told to report MySQL ({@code useMysqlMetadata}), as it does for MySQL servers.
     */
    static String jdbcUrl(EngineSettings settings)
    {
        String url = settings.jdbcUrl();
        if (settings.databaseType() != DatabaseType.MYSQL || url.toLowerCase(Locale.ROOT).contains("usemysqlmetadata=")) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + "useMysqlMetadata=true";
    }
}
