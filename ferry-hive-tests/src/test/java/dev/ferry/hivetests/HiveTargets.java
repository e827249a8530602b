package dev.ferry.hivetests;

import java.util.List;

import org.apache.hadoop.conf.Configuration;

/** What Hive's test classes (in Hive's packages) may see of the running metastores. */
public final class HiveTargets
{
    private HiveTargets() {}

    /** A running metastore: its name in the tests and its client configuration. */
    public record Service(String name, Configuration clientConfiguration) {}

    public static List<Service> services()
    {
        return Targets.current().stream().map(target -> new Service(target.name(), target.clientConfiguration())).toList();
    }
}
