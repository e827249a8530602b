package dev.ferry.replication.staging;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class StagingLogTest
{
    @TempDir
    Path directory;

    private static SourceTransaction transaction(int number)
    {
        return new SourceTransaction("0-1-" + number, "mariadb-bin.000001", 1000L + number, 1_700_000_000_000L + number, List.of(
                new RowChange("PARTITIONS", RowChange.Operation.INSERT, List.of(), Arrays.asList(10L + number, "day=" + number, null)),
                new RowChange("SDS", RowChange.Operation.UPDATE, Arrays.asList(5L, true, new byte[] {1, 2}), Arrays.asList(5L, false, new byte[] {3})),
                new RowChange("TXNS", RowChange.Operation.DELETE, Arrays.asList(7L, 1.25d, LocalDateTime.of(2026, 11, 21, 8, 0, 0, 123_456_000)), List.of())));
    }

    @Test
    void appendedTransactionsReadBackInOrderWithEveryValueType()
    {
        try (StagingLog staging = StagingLog.open(directory, 64 * 1024 * 1024)) {
            staging.append(List.of(transaction(1), transaction(2)));
            staging.append(List.of(transaction(3)));
            List<StagingLog.Entry> entries = staging.read(StagingPosition.START, 10);
            assertThat(entries).extracting(entry -> entry.transaction().gtid()).containsExactly("0-1-1", "0-1-2", "0-1-3");
            SourceTransaction read = entries.get(1).transaction();
            assertThat(read.binlogPosition()).isEqualTo(1002L);
            assertThat(read.changes().get(0).after()).containsExactly(12L, "day=2", null);
            assertThat(read.changes().get(1).before().get(2)).isEqualTo(new byte[] {1, 2});
            assertThat(read.changes().get(2).before()).containsExactly(7L, 1.25d, LocalDateTime.of(2026, 11, 21, 8, 0, 0, 123_456_000));
            assertThat(entries.get(2).next()).isEqualTo(staging.end());
            assertThat(staging.read(staging.end(), 10)).isEmpty();
            assertThat(staging.read(entries.get(1).position(), 1)).extracting(entry -> entry.transaction().gtid()).containsExactly("0-1-2");
        }
    }

    @Test
    void segmentsRollAtTheirSizeAndAReaderCrossesThem()
    {
        try (StagingLog staging = StagingLog.open(directory, 2048)) {
            List<SourceTransaction> written = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                written.add(transaction(i));
                staging.append(List.of(transaction(i)));
            }
            assertThat(staging.end().segment()).isGreaterThan(3);
            List<String> read = new ArrayList<>();
            StagingPosition position = StagingPosition.START;
            for (List<StagingLog.Entry> batch = staging.read(position, 7); !batch.isEmpty(); batch = staging.read(position, 7)) {
                batch.forEach(entry -> read.add(entry.transaction().gtid()));
                position = batch.get(batch.size() - 1).next();
            }
            assertThat(read).isEqualTo(written.stream().map(SourceTransaction::gtid).toList());
            assertThat(position).isEqualTo(staging.end());
        }
    }

    @Test
    void frameTornByACrashIsCutOnOpenAndWritingGoesOn()
            throws Exception
    {
        StagingPosition durable;
        try (StagingLog staging = StagingLog.open(directory, 64 * 1024 * 1024)) {
            durable = staging.append(List.of(transaction(1), transaction(2)));
        }
        Path segment = StagingLog.segmentFile(directory, 1);
        // A crash in the middle of a write: half a frame at the end.
        byte[] frame = Files.readAllBytes(segment);
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.APPEND)) {
            channel.write(java.nio.ByteBuffer.wrap(Arrays.copyOf(frame, frame.length / 3)));
        }
        assertThat(Files.size(segment)).isGreaterThan(durable.offset());
        try (StagingLog staging = StagingLog.open(directory, 64 * 1024 * 1024)) {
            assertThat(staging.end()).isEqualTo(durable);
            staging.append(List.of(transaction(3)));
            assertThat(staging.read(StagingPosition.START, 10)).extracting(entry -> entry.transaction().gtid())
                    .containsExactly("0-1-1", "0-1-2", "0-1-3");
        }
        assertThat(StagingLog.readSegment(segment).transactions()).hasSize(3);
        assertThat(StagingLog.readSegment(segment).validBytes()).isEqualTo(Files.size(segment));
    }

    @Test
    void deleteRemovesTheDirectory()
    {
        StagingLog staging = StagingLog.open(directory.resolve("migration-1"), 4096);
        staging.append(List.of(transaction(1)));
        staging.delete();
        assertThat(directory.resolve("migration-1")).doesNotExist();
    }
}
