package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/** {@link CompleteMigrationContract} from MySQL 5.7 without GTIDs. */
class CompleteMigrationMySql57Test
        extends CompleteMigrationContract
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MYSQL_5_7;
    }
}
