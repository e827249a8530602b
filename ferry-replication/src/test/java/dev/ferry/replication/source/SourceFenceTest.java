package dev.ferry.replication.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.testkit.EmbeddedMySql;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cutover's fence on the source: other sessions can read the metastore's tables but not write them. */
class SourceFenceTest
{
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SourceServers.Kind.class, names = {"MARIADB_10_11", "MYSQL_8_0_GTID", "MYSQL_5_7"})
    void whileFencedAnotherSessionReadsButCannotWriteTheMetastoreAndAfterwardsItCan(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        SourceDatabase source = HmsFixture.source(server, "hms_fence_" + kind.tag());
        SourceDialect dialect = HmsFixture.dialect(source);
        List<String> tables = HmsFixture.mapping().tables().values().stream()
                .map(table -> "`%s`.%s".formatted(source.database(), table.sourceIdentifier())).toList();

        try (Connection other = server.connect(source.database()); Statement statement = other.createStatement()) {
            statement.execute("SET SESSION lock_wait_timeout = 1");
            Optional<SourceDialect.SourceFence> fence = dialect.fence(JdbcConnections.source(source), tables, Duration.ofSeconds(1));
            assertThat(fence).isPresent();
            try (SourceDialect.SourceFence held = fence.get()) {
                assertThat(count(statement)).as("reads go on").isEqualTo(0);
                assertThatThrownBy(() -> statement.execute("INSERT INTO SEQUENCE_TABLE (SEQUENCE_NAME, NEXT_VAL) VALUES ('ferry.fence.test', 1)"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("Lock wait timeout exceeded");
            }
            statement.execute("INSERT INTO SEQUENCE_TABLE (SEQUENCE_NAME, NEXT_VAL) VALUES ('ferry.fence.test', 1)");
            assertThat(count(statement)).isEqualTo(1);
        }
    }

    @Test
    void aReaderThatMayNotLockTablesCannotFence()
            throws Exception
    {
        EmbeddedMySql server = (EmbeddedMySql) SourceServers.shared(SourceServers.Kind.MYSQL_8_0);
        SourceDatabase created = HmsFixture.source(server, "hms_fence_denied");
        server.execute("CREATE USER 'fence_reader'@'%' IDENTIFIED BY 'Fence-Pa55'", "GRANT SELECT ON `hms_fence_denied`.* TO 'fence_reader'@'%'");
        SourceDatabase source = new SourceDatabase(created.host(), created.port(), created.database(), "fence_reader", "Fence-Pa55", created.cdcUser(), created.cdcPassword());
        SourceDialect dialect = HmsFixture.dialect(source);
        try (Connection session = JdbcConnections.source(source)) {
            assertThat(dialect.fence(session, List.of("`hms_fence_denied`.`DBS`", "`hms_fence_denied`.`TBLS`"), Duration.ofSeconds(1))).isEmpty();
        }
    }

    private static long count(Statement statement)
            throws SQLException
    {
        try (var rows = statement.executeQuery("SELECT count(*) FROM SEQUENCE_TABLE WHERE SEQUENCE_NAME = 'ferry.fence.test'")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
