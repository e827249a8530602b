package dev.ferry.hivetests;

import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.hive.metastore.HiveMetaStoreClient;
import org.apache.hadoop.hive.metastore.TestHiveMetaStore;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.junit.Before;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Hive's TestHiveMetaStore against each running metastore, as Hive's TestRemoteHiveMetaStore runs it against the
 * metastore it starts in its own JVM: a Thrift client ({@code isThriftClient}), set_ugi off. Parameterized over the
 * targets like the client API tests, so one run covers all of them; the client (static in TestHiveMetaStore) is
 * made anew when the target changes.
 */
@RunWith(Parameterized.class)
public class TestHiveMetaStoreOnTargets
        extends TestHiveMetaStore
{
    private static String clientTarget;

    private final Target target;

    public TestHiveMetaStoreOnTargets(String name, Target target)
    {
        this.target = target;
        isThriftClient = true;
    }

    @Parameterized.Parameters(name = "{0}")
    public static List<Object[]> targets()
    {
        List<Object[]> targets = new ArrayList<>();
        for (Target target : Targets.current()) {
            targets.add(new Object[] {target.name(), target});
        }
        return targets;
    }

    @Override
    protected void initConf()
    {
        if (!target.name().equals(clientTarget)) {
            conf = target.clientConfiguration();
        }
    }

    @Override
    @Before
    public void setUp()
            throws Exception
    {
        super.setUp();
        if (!target.name().equals(clientTarget)) {
            if (client != null) {
                client.close();
            }
            client = createClient();
            clientTarget = target.name();
        }
    }

    @Override
    protected HiveMetaStoreClient createClient()
            throws Exception
    {
        MetastoreConf.setVar(conf, ConfVars.THRIFT_URIS, target.uri());
        MetastoreConf.setBoolVar(conf, ConfVars.EXECUTE_SET_UGI, false);
        return new HiveMetaStoreClient(conf);
    }
}
