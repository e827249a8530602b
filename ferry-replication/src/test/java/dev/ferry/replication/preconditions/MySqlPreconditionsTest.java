package dev.ferry.replication.preconditions;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.source.MySqlDialect;
import dev.ferry.replication.source.MySqlGtidSet;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the preconditions find on MySQL that the REST-level test (MySqlPreconditionsApiTest) does not cover: the facts
 * of a ready source, a short binlog retention (a warning), a transitional GTID mode (refused).
 */
class MySqlPreconditionsTest
{
    private static EmbeddedPostgresServer postgres;
    private static Preconditions preconditions;

    @BeforeAll
    static void start()
    {
        postgres = EmbeddedPostgresServer.start();
        preconditions = Preconditions.forSchema(HmsFixture.upgradeScripts().resolve("mysql/hive-schema-4.0.0.mysql.sql"), "4.0.0");
    }

    @AfterAll
    static void stop()
    {
        postgres.close();
    }

    @Test
    void readySourceWithGtidsIsReportedAndAShortBinlogRetentionWarned()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_8_0_GTID);
        SourceDatabase source = HmsFixture.source(server, "hms_pre_gtid");
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_pre_gtid");

        SourceFacts facts = preconditions.check(source, own);
        assertThat(facts.dialect()).isInstanceOf(MySqlDialect.class);
        assertThat(facts.dialect().describe()).isEqualTo("MySQL 8.0.15 with GTIDs");
        assertThat(facts.binlogPosition()).isInstanceOf(MySqlGtidSet.class);
        assertThat(facts.warnings()).as("MySQL 8.0 keeps its binlog 30 days").isEmpty();

        server.execute("SET GLOBAL binlog_expire_logs_seconds = 3600");
        try {
            assertThat(preconditions.check(source, own).warnings()).singleElement().asString()
                    .startsWith("the source purges its binlog after 1 h (binlog_expire_logs_seconds = 3600; ")
                    .contains("The metastore database hms_pre_gtid holds about ", "Consider SET GLOBAL binlog_expire_logs_seconds = 604800");
        }
        finally {
            server.execute("SET GLOBAL binlog_expire_logs_seconds = 2592000");
        }
    }

    @Test
    void transitionalGtidModeIsRefused()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_8_0);
        SourceDatabase source = HmsFixture.source(server, "hms_pre_permissive");
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_pre_permissive");
        server.execute("SET GLOBAL gtid_mode = 'OFF_PERMISSIVE'");
        try {
            assertThatThrownBy(() -> preconditions.check(source, own))
                    .isInstanceOfSatisfying(ReplicationException.class, e -> assertThat(e.reason()).isEqualTo(ReplicationException.Reason.SOURCE_GTID_MODE))
                    .hasMessageStartingWith("cannot migrate from the source database at 127.0.0.1:%s: the source's gtid_mode is OFF_PERMISSIVE".formatted(server.port()));
        }
        finally {
            server.execute("SET GLOBAL gtid_mode = 'OFF'");
        }
    }
}
