package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/**
 * {@link Hive23MigrationTest} from MySQL 8.0 with GTIDs on: the Hive 2.3 source metastore (schema 2.3.0, made and
 * filled by Hive Metastore 2.3.10) on the MySQL server furthest from MariaDB (GTID positions, caching_sha2_password,
 * MySQL 8's data dictionary), migrated under eight clients and served as Hive 2.3 from PostgreSQL after the switch
 * and a restart.
 */
class Hive23MigrationMySql80GtidTest
        extends Hive23MigrationTest
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MYSQL_8_0_GTID;
    }
}
