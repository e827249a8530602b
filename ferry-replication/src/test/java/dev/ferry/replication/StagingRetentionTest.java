package dev.ferry.replication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;

import dev.ferry.engine.Engine;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.StagingLog;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A long stream keeps the staging log small: applied segments are removed while the background verify runs passes
 * that re-read what was staged since, and a restart resumes from what was recorded about the removed segments,
 * reading only what is left, without loss or duplicates.
 */
class StagingRetentionTest
{
    /** Small segments, so that a short run rolls and removes many. */
    private static final long SEGMENT_BYTES = 64 * 1024;

    @TempDir
    Path staging;

    @Test
    void diskUseStaysFlatWhileStreamingAndARestartReadsOnlyWhatIsLeft()
            throws Exception
    {
        SourceServer server = SourceServers.shared(SourceServers.Kind.MARIADB_10_11);
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            SourceDatabase source = HmsFixture.source(server, "hms_retention");
            OwnDatabaseTarget own = HmsFixture.own(postgres, "own_retention");
            Path directory = staging.resolve("retention");
            // Verify passes every second, so that their pins on the log move while apply removes behind them.
            Replication.Config config = new Replication.Config("retention", source, own, HmsFixture.upgradeScripts(), "4.0.0", directory, SEGMENT_BYTES,
                    Backfill.Options.defaults(), Apply.Options.defaults(), new Replication.Maintenance(Duration.ofSeconds(1), Duration.ofHours(1), 1.0));
            try (Engine writer = HmsFixture.engine(server, source)) {
                HmsFixture.fill(writer.client(), "retention", 2, 2, 50);
                HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(writer.client()), 4, "ret");
                long stagedBeforeRestart;
                List<Long> bytes = new ArrayList<>();
                try (Replication replication = Replication.start(config)) {
                    await().atMost(Duration.ofMinutes(2)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
                    assertThat(replication.failure()).isEmpty();
                    long endAt = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                    while (System.nanoTime() < endAt) {
                        Thread.sleep(500);
                        bytes.add(replication.stagingBytes());
                    }
                    assertThat(replication.failure()).isEmpty();
                    stagedBeforeRestart = replication.status().transactionsApplied();
                }
                StagingLog.Removed removed = removed(directory);
                long written = (removed.beforeSegment() - 1) * SEGMENT_BYTES;
                LongSummaryStatistics lastHalf = bytes.subList(bytes.size() / 2, bytes.size()).stream().mapToLong(Long::longValue).summaryStatistics();
                LongSummaryStatistics firstHalf = bytes.subList(0, bytes.size() / 2).stream().mapToLong(Long::longValue).summaryStatistics();
                // Flat: what stays on disk is a few segments, no more in the second half of the run than in the first
                // (a segment or two of apply's lag either way), while what was written and removed is several times it.
                assertThat(lastHalf.getMax()).as("bytes on disk, last half of the run: %s", lastHalf).isLessThanOrEqualTo(16 * SEGMENT_BYTES);
                assertThat(lastHalf.getAverage()).as("average bytes on disk, first half %s, last half %s", firstHalf, lastHalf)
                        .isLessThanOrEqualTo(firstHalf.getAverage() + 2 * SEGMENT_BYTES);
                assertThat(written).as("bytes written to removed segments").isGreaterThan(3 * lastHalf.getMax());
                assertThat(removed.transactions()).isGreaterThan(0);

                // Resumed: capture starts from what the removed segments held and reads only the segments left.
                try (Replication resumed = Replication.start(config)) {
                    await().atMost(Duration.ofMinutes(2)).until(() -> resumed.stage() == Replication.Stage.STREAMING || resumed.failure().isPresent());
                    assertThat(resumed.failure()).isEmpty();
                    long calls = workload.calls();
                    await().atMost(Duration.ofMinutes(1)).until(() -> workload.calls() > calls + 200);
                    HmsWorkload.Result result = workload.stop();
                    assertThat(result.failures()).isEmpty();
                    SourcePosition fence = resumed.sourcePosition();
                    assertThat(resumed.drainTo(fence, Duration.ofMinutes(2))).isTrue();
                    assertThat(resumed.status().transactionsApplied()).isGreaterThan(stagedBeforeRestart);
                    HmsFixture.assertEveryTableEqual(source, own, HmsFixture.mapping());
                }
                assertThat(removed(directory).transactions()).isGreaterThanOrEqualTo(removed.transactions());
            }
        }
    }

    private static StagingLog.Removed removed(Path directory)
    {
        try (StagingLog log = StagingLog.open(directory, SEGMENT_BYTES)) {
            return log.removed().orElseThrow(() -> new AssertionError("no segment was removed from " + directory));
        }
    }
}
