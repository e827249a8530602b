package dev.ferry.compat;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.compat.support.MetastoreProcess;
import dev.ferry.compat.support.TempDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The clients against {@code ferry serve} of the built distribution: an engine on Ferry's own PostgreSQL database. */
class FerryServeCompatibilityIT
        extends ClientCompatibilityContract
{
    private static Path work;
    private static MetastoreProcess ferry;

    @BeforeAll
    static void startFerry()
            throws Exception
    {
        work = Files.createTempDirectory("ferry-compat-serve-");
        ferry = MetastoreProcess.ferryServe(work);
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
