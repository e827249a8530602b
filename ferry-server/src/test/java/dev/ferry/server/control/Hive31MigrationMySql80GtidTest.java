package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/**
 * {@link Hive31MigrationTest} from MySQL 8.0 with GTIDs on: the Hive 3.1 source metastore (schema 3.1.0, made and filled
 * by Hive Metastore 3.1.3) on the MySQL server furthest from MariaDB (GTID positions, caching_sha2_password, MySQL 8's
 * data dictionary), migrated under eight clients, served as Hive 3.1 from PostgreSQL after the switch and a restart,
 * then upgraded to Hive 4.0.
 */
class Hive31MigrationMySql80GtidTest
        extends Hive31MigrationTest
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MYSQL_8_0_GTID;
    }

    @Override
    boolean upgradesTheMigratedMetastore()
    {
        return true;
    }
}
