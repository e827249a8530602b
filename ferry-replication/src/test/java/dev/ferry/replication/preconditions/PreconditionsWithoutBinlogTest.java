package dev.ferry.replication.preconditions;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;

import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_OFF;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A source server started without a binlog, as most are until someone sets them up for replication. */
class PreconditionsWithoutBinlogTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static EngineHost host;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void startServers()
    {
        mariaDb = EmbeddedMariaDb.builder().withoutBinlog().start();
        postgres = EmbeddedPostgresServer.start();
        String home = System.getProperty("ferry.engine.home");
        if (home == null) {
            throw new IllegalStateException("system property ferry.engine.home is not set; run the tests with Maven");
        }
        host = new EngineHost(EngineHome.of(Path.of(home)));
        host.initializeSchema(new EngineSettings("hms", mariaDb.createDatabase("hms"), EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, warehouse,
                EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of()));
        postgres.createDatabase("own");
        host.initializeSchema(new EngineSettings("own", postgres.jdbcUrl("own"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD,
                warehouse, EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of()));
    }

    @AfterAll
    static void stopServers()
    {
        if (mariaDb != null) {
            mariaDb.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void refusesSourceWithoutBinlogNamingEveryVariableToChange()
            throws Exception
    {
        Preconditions preconditions = Preconditions.forSchema(host.home().schemaScripts("mysql").resolve("hive-schema-4.0.0.mysql.sql"), "4.0.0");
        // This server skips grant tables: any user logs in, so both users reach the binlog check.
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", "ferry_reader", "reader-secret", "ferry_cdc", "cdc-secret");
        OwnDatabaseTarget own = new OwnDatabaseTarget(postgres.jdbcUrl("own"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        Map<String, String> before = fingerprint();

        assertThatThrownBy(() -> preconditions.check(source, own))
                .isInstanceOf(ReplicationException.class)
                .hasMessage("the binlog of the source database at 127.0.0.1:%s is not ready for change data capture: log_bin is OFF, needs ON; binlog_format is MIXED, needs ROW; turn the binlog on in the server's configuration (log_bin, binlog_format=ROW, binlog_row_image=FULL and a server_id) and restart the server"
                        .formatted(mariaDb.port()))
                .hasMessageNotContainingAny("reader-secret", "cdc-secret")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(SOURCE_BINLOG_OFF);
        assertThat(fingerprint()).isEqualTo(before);
    }

    private static Map<String, String> fingerprint()
            throws Exception
    {
        try (Connection connection = postgres.connect("own")) {
            return OwnDatabaseFingerprint.of(connection);
        }
    }
}
