package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/** {@link CompleteMigrationContract} from MySQL 8.0 without GTIDs. */
class CompleteMigrationMySql80Test
        extends CompleteMigrationContract
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MYSQL_8_0;
    }

    @Override
    boolean testsTheFence()
    {
        return false;
    }
}
