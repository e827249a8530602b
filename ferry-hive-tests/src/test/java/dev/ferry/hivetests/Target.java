package dev.ferry.hivetests;

import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.MetaStoreTestUtils;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;

import static java.util.Objects.requireNonNull;

/**
 * One metastore Hive's tests run against.
 *
 * @param name how the tests name it, such as {@code ferry-postgres}
 * @param kind Ferry, or the plain Hive Metastore it is compared with
 * @param database the kind of database it serves from
 * @param port its Thrift port on the loopback interface
 * @param warehouse the directory holding its managed/ and external/ warehouse roots
 */
record Target(String name, Kind kind, Database database, int port, Path warehouse)
{
    enum Kind
    {
        FERRY,
        PLAIN_HMS,
    }

    enum Database
    {
        POSTGRES,
        MARIADB,
    }

    Target
    {
        requireNonNull(name, "name is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(database, "database is null");
        requireNonNull(warehouse, "warehouse is null");
    }

    String uri()
    {
        return "thrift://localhost:" + port;
    }

    Path managedRoot()
    {
        return warehouse.resolve("managed");
    }

    Path externalRoot()
    {
        return warehouse.resolve("external");
    }

    /**
     * A client configuration as Hive's test factory builds it for its remote metastore (MetaStoreFactoryForTests),
     * pointed at this target, with the warehouse roots the server has (the tests compute expected locations with
     * them, as a client of a real cluster does from its hive-site.xml).
     */
    Configuration clientConfiguration()
    {
        Configuration conf = MetastoreConf.newMetastoreConf();
        MetastoreConf.setBoolVar(conf, ConfVars.METRICS_ENABLED, true);
        MetastoreConf.setLongVar(conf, ConfVars.BATCH_RETRIEVE_MAX, 2);
        MetastoreConf.setLongVar(conf, ConfVars.BATCH_RETRIEVE_OBJECTS_MAX, 2);
        MetastoreConf.setLongVar(conf, ConfVars.LIMIT_PARTITION_REQUEST, 100);
        MetaStoreTestUtils.setConfForStandloneMode(conf);
        conf.set("datanucleus.autoCreateTables", "false");
        MetastoreConf.setBoolVar(conf, ConfVars.TRY_DIRECT_SQL, true);
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, uri());
        MetastoreConf.setVar(conf, ConfVars.WAREHOUSE, managedRoot().toUri().toString());
        MetastoreConf.setVar(conf, ConfVars.WAREHOUSE_EXTERNAL, externalRoot().toUri().toString());
        return conf;
    }

    @Override
    public String toString()
    {
        return name;
    }
}
