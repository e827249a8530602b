package dev.ferry.replication.staging;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** The staging log holds the source's rows: its directories (those it creates) and segments are its owner's only. */
    @Test
    void directoriesAndSegmentsAreOwnerOnly()
            throws Exception
    {
        Path log = directory.resolve("bucket").resolve("migration").resolve("execution");
        try (StagingLog staging = StagingLog.open(log, 2048)) {
            for (int i = 0; i < 40; i++) {
                staging.append(List.of(transaction(i)));
            }
            assertThat(staging.end().segment()).isGreaterThan(1);
        }
        for (Path created : List.of(directory.resolve("bucket"), directory.resolve("bucket").resolve("migration"), log)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).as(created.toString()).isEqualTo("rwx------");
        }
        try (var files = Files.list(log)) {
            List<Path> segments = files.filter(Files::isRegularFile).toList();
            assertThat(segments).hasSizeGreaterThan(1);
            for (Path segment : segments) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(segment))).as(segment.toString()).isEqualTo("rw-------");
            }
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
    void appliedSegmentsAreRemovedWhatTheyHeldIsKeptAndAReopenedLogReadsOnlyWhatIsLeft()
            throws Exception
    {
        StagingPosition tenth;
        try (StagingLog staging = StagingLog.open(directory, 2048)) {
            List<StagingLog.Entry> entries = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                staging.append(List.of(transaction(i)));
            }
            for (List<StagingLog.Entry> batch = staging.read(StagingPosition.START, 100); !batch.isEmpty(); batch = staging.read(batch.get(batch.size() - 1).next(), 100)) {
                entries.addAll(batch);
            }
            // The first transaction of the third segment.
            StagingLog.Entry firstKept = entries.stream().filter(entry -> entry.position().segment() == 3).findFirst().orElseThrow();
            tenth = firstKept.position();
            long lastSegment = staging.end().segment();
            assertThat(lastSegment).isGreaterThan(tenth.segment());
            long bytesBefore = staging.bytesOnDisk();

            // Applied up to that transaction: the two segments wholly before its segment go.
            int removed = staging.removeBefore(tenth.segment(), "0-1-9");
            assertThat(removed).isEqualTo((int) (tenth.segment() - 1));
            assertThat(StagingLog.segmentFile(directory, 1)).doesNotExist();
            assertThat(StagingLog.segmentFile(directory, tenth.segment())).exists();
            assertThat(staging.bytesOnDisk()).isLessThan(bytesBefore);
            assertThat(staging.start()).isEqualTo(new StagingPosition(tenth.segment(), 0));
            long removedTransactions = entries.stream().filter(entry -> entry.position().segment() < tenth.segment()).count();
            String lastRemoved = entries.stream().filter(entry -> entry.position().segment() < tenth.segment()).reduce((a, b) -> b).orElseThrow().transaction().gtid();
            assertThat(staging.removed()).contains(new StagingLog.Removed(tenth.segment(), removedTransactions, lastRemoved, "0-1-9"));
            assertThat(staging.read(tenth, 100)).extracting(entry -> entry.transaction().gtid()).startsWith(firstKept.transaction().gtid()).endsWith("0-1-39");
            assertThatThrownBy(() -> staging.read(StagingPosition.START, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("removed");
            // Never the segment being written, whatever the caller asks.
            staging.removeBefore(Long.MAX_VALUE, "0-1-39");
            assertThat(StagingLog.segmentFile(directory, lastSegment)).exists();
            assertThat(staging.start().segment()).isEqualTo(lastSegment);
        }
        try (StagingLog reopened = StagingLog.open(directory, 2048)) {
            assertThat(reopened.removed().orElseThrow().transactions()).isEqualTo(40 - reopened.read(reopened.start(), 100).size());
            assertThat(reopened.removed().orElseThrow().position()).isEqualTo("0-1-39");
            reopened.append(List.of(transaction(40)));
            assertThat(reopened.read(reopened.start(), 100)).extracting(entry -> entry.transaction().gtid()).endsWith("0-1-39", "0-1-40");
        }
    }

    @Test
    void aRemovalACrashInterruptedAfterItRecordedWhatItRemovedIsFinishedOnOpen()
            throws Exception
    {
        try (StagingLog staging = StagingLog.open(directory, 2048)) {
            for (int i = 0; i < 40; i++) {
                staging.append(List.of(transaction(i)));
            }
            assertThat(staging.end().segment()).isGreaterThan(3);
            staging.removeBefore(3, "0-1-5");
        }
        // As if the crash came after the record was renamed into place, before the files were deleted.
        Files.write(StagingLog.segmentFile(directory, 1), new byte[] {1, 2, 3});
        try (StagingLog staging = StagingLog.open(directory, 2048)) {
            assertThat(StagingLog.segmentFile(directory, 1)).doesNotExist();
            assertThat(staging.start().segment()).isEqualTo(3);
        }
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
