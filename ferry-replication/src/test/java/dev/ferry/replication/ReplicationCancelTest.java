package dev.ferry.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import dev.ferry.engine.Engine;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.preconditions.Preconditions;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Cancel from every source dialect: the own database back to a fresh metastore, no staging data left. */
class ReplicationCancelTest
{
    /** One server for the class: each source's own database is a database of its own on it. */
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path staging;

    @BeforeAll
    static void startPostgres()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopPostgres()
    {
        postgres.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void deletingTransferredDataLeavesAFreshMetastoreAndNoStagingData(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        SourceDatabase source = HmsFixture.source(server, "hms_cancel_" + kind.tag());
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_cancel_" + kind.tag());
        try (Engine writer = HmsFixture.engine(server, source)) {
            HmsFixture.fill(writer.client(), "cancel", 2, 2, 100);
        }
        Path stagingDirectory = staging.resolve("cancel");
        Replication replication = Replication.start(new Replication.Config("cancel", source, own, HmsFixture.upgradeScripts(), "4.0.0",
                stagingDirectory, 1 << 20, Backfill.Options.defaults(), Apply.Options.defaults()));
        await().atMost(Duration.ofMinutes(2)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
        assertThat(replication.failure()).isEmpty();
        assertThat(HmsFixture.ownCounts(own, HmsFixture.mapping()).get("PARTITIONS")).isEqualTo(400);
        assertThat(stagingDirectory).exists();

        replication.deleteTransferredData();

        assertThat(stagingDirectory).doesNotExist();
        assertThat(HmsFixture.ownCounts(own, HmsFixture.mapping()).get("PARTITIONS")).isZero();
        try (Connection connection = new ReplicationStore(own).connect(); Statement statement = connection.createStatement()) {
            for (String table : new String[] {"migration", "backfill_table", "backfill_chunk", "foreign_key", "apply_checkpoint"}) {
                try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM ferry_replication." + table)) {
                    rows.next();
                    assertThat(rows.getLong(1)).as(table).isZero();
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")) {
                rows.next();
                assertThat(rows.getLong(1)).as("foreign keys back").isGreaterThan(40);
            }
        }
        try (Engine onOwn = HmsFixture.engine(own)) {
            assertThat(onOwn.client().get_all_databases()).containsExactly("default");
        }
        // A freshly initialised metastore again: a new migration may start.
        Preconditions.forSchema(HmsFixture.upgradeScripts().resolve("mysql/hive-schema-4.0.0.mysql.sql"), "4.0.0").check(source, own);
    }
}
