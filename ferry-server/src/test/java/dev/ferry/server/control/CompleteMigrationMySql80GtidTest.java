package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/** {@link CompleteMigrationContract} from MySQL 8.0 with GTIDs. */
class CompleteMigrationMySql80GtidTest
        extends CompleteMigrationContract
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MYSQL_8_0_GTID;
    }
}
