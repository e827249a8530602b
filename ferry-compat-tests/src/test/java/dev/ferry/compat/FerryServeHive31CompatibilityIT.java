package dev.ferry.compat;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The clients against {@code ferry serve} of the built distribution with the Hive 3.1 engine ({@code engine.version: 3.1}) on its own PostgreSQL database. */
class FerryServeHive31CompatibilityIT
        extends ClientCompatibilityContract
{
    private static Path work;
    private static MetastoreProcess ferry;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-serve-hive31-");
        ferry = MetastoreProcess.ferryServe(work, "3.1");
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

    @Override
    String engineHive()
    {
        return "3.1";
    }
}
