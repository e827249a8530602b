package dev.ferry.compat;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The clients against Ferry's front, router and a Hive 4.0.1 engine on an embedded MariaDB: what clients talk to
 * while a migration serves from the customer's MySQL/MariaDB metastore database. {@code ferry serve} serves only from
 * its own PostgreSQL database, so ferry-dist's test launcher runs this setup as a separate process.
 */
class MariaDbEngineCompatibilityIT
        extends ClientCompatibilityContract
{
    private static Path work;
    private static MetastoreProcess ferry;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-mariadb-");
        ferry = MetastoreProcess.frontOnMariaDb(work);
    }

    @AfterAll
    static void stopFerry()
            throws Exception
    {
        if (ferry != null) {
            ferry.close();
        }
        TempDirectories.delete(work);
    }

    @Override
    MetastoreProcess ferry()
    {
        return ferry;
    }
}
