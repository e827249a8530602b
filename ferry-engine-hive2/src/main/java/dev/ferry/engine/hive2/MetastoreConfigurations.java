package dev.ferry.engine.hive2;

import java.util.Locale;
import java.util.Map;

import dev.ferry.engine.spi.DatabaseType;
import dev.ferry.engine.spi.EngineSettings;
import org.apache.hadoop.hive.conf.HiveConf;
import org.apache.hadoop.hive.conf.HiveConf.ConfVars;

/** The Hive 2.3 metastore configuration of one engine, built from Ferry's settings alone (no site files). */
final class MetastoreConfigurations
{
    private static final String MARIADB_SCHEME = "jdbc:mariadb:";
    private static final String MYSQL_SCHEME = "jdbc:mysql:";

    private MetastoreConfigurations() {}

    static HiveConf of(EngineSettings settings)
    {
        HiveConf conf = new HiveConf();
        conf.setVar(ConfVars.METASTORECONNECTURLKEY, jdbcUrl(settings));
        conf.setVar(ConfVars.METASTORE_CONNECTION_DRIVER, settings.databaseType().driverClass());
        conf.setVar(ConfVars.METASTORE_CONNECTION_USER_NAME, settings.user());
        conf.setVar(ConfVars.METASTOREPWD, settings.password());
        conf.setVar(ConfVars.METASTOREWAREHOUSE, settings.warehouseDirectory().toUri().toString());
        conf.setVar(ConfVars.METASTOREURIS, "");
        // The schema is Ferry's to create and check; DataNucleus must never alter it.
        conf.setBoolVar(ConfVars.METASTORE_SCHEMA_VERIFICATION, true);
        conf.setBoolVar(ConfVars.METASTORE_AUTO_CREATE_ALL, false);
        conf.set("datanucleus.connectionPoolingType", "HikariCP");
        // A local warehouse without a chmod process per directory HMS makes (the Hive 3.1 and 4 engines have the
        // same class); an override may name another.
        conf.set("fs.file.impl", LocalFileSystemWithoutChmodProcess.class.getName());
        for (Map.Entry<String, String> entry : settings.overrides().entrySet()) {
            conf.set(entry.getKey(), entry.getValue());
        }
        return conf;
    }

    /**
     * The JDBC URL the engine uses. DataNucleus 4.1 picks its datastore adapter by the URL's scheme and the product
     * name the driver reports, and Hive 2.3 (direct SQL, TxnHandler) by the product name; both know MySQL but not
     * MariaDB, and DataNucleus 4.1 has no MariaDB adapter. So a MariaDB URL is given as a {@code jdbc:mysql:} URL,
     * which MariaDB Connector/J 2.x accepts, and the driver is told to report MySQL ({@code useMysqlMetadata}), as
     * it does for MySQL servers.
     */
    static String jdbcUrl(EngineSettings settings)
    {
        String url = settings.jdbcUrl();
        if (settings.databaseType() != DatabaseType.MYSQL) {
            return url;
        }
        if (url.toLowerCase(Locale.ROOT).startsWith(MARIADB_SCHEME)) {
            url = MYSQL_SCHEME + url.substring(MARIADB_SCHEME.length());
        }
        if (url.toLowerCase(Locale.ROOT).contains("usemysqlmetadata=")) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + "useMysqlMetadata=true";
    }
}
