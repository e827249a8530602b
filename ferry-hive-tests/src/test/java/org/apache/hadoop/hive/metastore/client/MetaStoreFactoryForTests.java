package org.apache.hadoop.hive.metastore.client;

import java.util.ArrayList;
import java.util.List;

import dev.ferry.hivetests.HiveTargets;
import org.apache.hadoop.hive.metastore.minihms.AbstractMetaStoreService;
import org.apache.hadoop.hive.metastore.minihms.ClusterMetaStoreForTests;

/**
 * Ferry's factory for Hive's client API tests, in place of Hive's own (this class comes before Hive's tests jar on the
 * test classpath). Hive's factory starts an embedded and a remote metastore on Derby; this one hands the tests the
 * metastores HiveMetastoreTestsIT started, each as a "cluster" metastore service, the kind Hive's factory offers for
 * a metastore running elsewhere (its {@code test.hms.client.configs}): Ferry on PostgreSQL and on MariaDB, and, for
 * a live baseline, a plain Hive Metastore 4.0.1 on each (one of them in each JVM that runs the tests).
 */
public final class MetaStoreFactoryForTests
{
    private MetaStoreFactoryForTests() {}

    public static List<Object[]> getMetaStores()
    {
        List<Object[]> metaStores = new ArrayList<>();
        for (HiveTargets.Service target : HiveTargets.services()) {
            AbstractMetaStoreService service = new ClusterMetaStoreForTests(target.clientConfiguration());
            metaStores.add(new Object[] {target.name(), service});
        }
        return metaStores;
    }
}
