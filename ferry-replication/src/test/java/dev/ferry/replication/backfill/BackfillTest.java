package dev.ferry.replication.backfill;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BackfillTest
{
    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static SourceDatabase source;
    private static SchemaMapping mapping;

    @BeforeAll
    static void startDatabases()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        mapping = HmsFixture.mapping();
        source = HmsFixture.source(mariaDb, "hms_backfill");
        try (Engine engine = HmsFixture.engine(source)) {
            HmsFixture.fill(engine.client(), "bf", 3, 2, 400);
        }
    }

    @AfterAll
    static void stopDatabases()
    {
        mariaDb.close();
        postgres.close();
    }

    @Test
    void copiesEveryTableExactlyAndTheCopyIsReferentiallyIntact()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_full");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        Backfill backfill = new Backfill("m-full", source, own, mapping, store, new Backfill.Options(2, 500));
        backfill.run();

        Map<String, Long> sourceCounts = HmsFixture.sourceCounts(source, mapping);
        assertThat(HmsFixture.ownCounts(own, mapping)).isEqualTo(sourceCounts);
        assertThat(sourceCounts.get("PARTITIONS")).isEqualTo(2_400);
        assertThat(backfill.status()).allSatisfy(table -> {
            assertThat(table.done()).as(table.table()).isTrue();
            assertThat(table.rowsTotal()).as(table.table()).contains(sourceCounts.get(table.table()));
            assertThat(table.rowsCopied()).as(table.table()).isEqualTo(sourceCounts.get(table.table()));
        });
        try (Connection connection = store.connect()) {
            // Re-adding the foreign keys validates every reference of the copy.
            assertThat(store.restoreForeignKeys(connection, "m-full")).isGreaterThan(40);
            connection.commit();
        }
        try (Engine engine = HmsFixture.engine(own); Engine onSource = HmsFixture.engine(source)) {
            assertThat(engine.client().get_all_databases()).isEqualTo(onSource.client().get_all_databases());
            assertThat(engine.client().get_partition_names("bf_db2", "t1", (short) -1))
                    .isEqualTo(onSource.client().get_partition_names("bf_db2", "t1", (short) -1))
                    .hasSize(400);
            assertThat(engine.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("bf_db1", "t0")).getTable())
                    .isEqualTo(onSource.client().get_table_req(new org.apache.hadoop.hive.metastore.api.GetTableRequest("bf_db1", "t0")).getTable());
        }
    }

    @Test
    void stoppedMidwayResumesAtTheNextChunkWithoutLossOrDuplicates()
            throws Exception
    {
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_resume");
        ReplicationStore store = new ReplicationStore(own);
        store.ensureSchema();
        Backfill first = new Backfill("m-resume", source, own, mapping, store, new Backfill.Options(1, 100));
        CompletableFuture<Void> running = CompletableFuture.runAsync(first::run);
        await().atMost(Duration.ofMinutes(2)).until(() -> first.status().stream().mapToLong(Backfill.TableStatus::rowsCopied).sum() >= 1_000);
        first.stop();
        running.get();
        long copiedBefore = first.status().stream().mapToLong(Backfill.TableStatus::rowsCopied).sum();
        List<String> unfinished = first.status().stream().filter(table -> !table.done()).map(Backfill.TableStatus::table).toList();
        assertThat(unfinished).isNotEmpty();

        Backfill second = new Backfill("m-resume", source, own, mapping, store, new Backfill.Options(2, 100));
        assertThat(second.prepare()).as("capture start recorded once").isEqualTo(first.prepare());
        second.run();
        assertThat(HmsFixture.ownCounts(own, mapping)).isEqualTo(HmsFixture.sourceCounts(source, mapping));
        try (Connection connection = store.connect()) {
            assertThat(store.tableProgress(connection, "m-resume").values()).allSatisfy(table -> assertThat(table.done()).isTrue());
            assertThat(store.restoreForeignKeys(connection, "m-resume")).isGreaterThan(40);
            connection.commit();
        }
        System.out.printf("Resumed backfill: %s rows before the stop, %s tables unfinished%n", copiedBefore, unfinished.size());
    }
}
