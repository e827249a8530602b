package dev.ferry.server.control;

import dev.ferry.testkit.SourceServers;

/** {@link CompleteMigrationContract} from MariaDB 10.11. */
class CompleteMigrationMariaDbTest
        extends CompleteMigrationContract
{
    @Override
    SourceServers.Kind kind()
    {
        return SourceServers.Kind.MARIADB_10_11;
    }
}
