package dev.ferry.hivetests;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool;

/**
 * A plain Apache Hive Metastore 4.0.1, as its own launcher runs it: the configuration from the metastore-site.xml
 * in {@code METASTORE_CONF_DIR}, Hive's schema tool on an empty database, then {@link HiveMetaStore#main} with its
 * Thrift server, handler and background tasks. Arguments: the directory holding Hive's {@code scripts/}, the port.
 */
public final class PlainMetastoreMain
{
    private PlainMetastoreMain() {}

    public static void main(String[] arguments)
            throws Throwable
    {
        String scriptsHome = arguments[0];
        String port = arguments[1];
        Configuration conf = MetastoreConf.newMetastoreConf();
        String url = MetastoreConf.getVar(conf, ConfVars.CONNECT_URL_KEY);
        String user = MetastoreConf.getVar(conf, ConfVars.CONNECTION_USER_NAME);
        String password = MetastoreConf.getPassword(conf, ConfVars.PWD);
        if (!hasSchema(url, user, password)) {
            int exitCode = new MetastoreSchemaTool().run(scriptsHome, new String[] {
                    "-dbType", url.startsWith("jdbc:postgresql:") ? "postgres" : "mysql",
                    "-initSchema",
                    "-url", url,
                    "-driver", MetastoreConf.getVar(conf, ConfVars.CONNECTION_DRIVER),
                    "-userName", user,
                    "-passWord", password,
            }, null, conf);
            if (exitCode != 0) {
                throw new IllegalStateException("Hive's schema tool exited with " + exitCode);
            }
        }
        HiveMetaStore.main(new String[] {"-p", port});
    }

    private static boolean hasSchema(String url, String user, String password)
            throws Exception
    {
        try (Connection connection = DriverManager.getConnection(url, user, password);
                ResultSet tables = connection.getMetaData().getTables(connection.getCatalog(), null, "VERSION", new String[] {"TABLE"})) {
            return tables.next();
        }
    }
}
