package dev.ferry.replication.staging;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.ferry.replication.ReplicationException;
import dev.ferry.testkit.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The staging log kept in an S3-compatible object store (Adobe S3Mock, a real S3 server run as a process): what one
 * replica staged, another reads after opening the log in an empty directory of its own, as a replica that takes
 * replication over does; removals and deletion reach the store; an append the store does not confirm is not
 * acknowledged, and the log is opened again from the store.
 */
class ObjectStoreStagingLogTest
{
    private static EmbeddedS3 s3;
    private static S3ObjectStores stores;

    @TempDir
    Path first;
    @TempDir
    Path second;

    private StagingMirror mirror;

    @BeforeAll
    static void startObjectStore()
    {
        s3 = EmbeddedS3.start(Path.of("target", "s3mock", "s3mock.jar"), "staging");
        stores = new S3ObjectStores(new S3ObjectStores.Settings(Optional.of(URI.create(s3.endpoint())), "us-east-1", true, Optional.of("ferry"), Optional.of("secret")));
    }

    @AfterAll
    static void stopObjectStore()
    {
        if (stores != null) {
            stores.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void newPrefix()
    {
        mirror = new StagingMirror(stores.bucket("staging"), "migration/" + UUID.randomUUID());
    }

    private static SourceTransaction transaction(int number)
    {
        return new SourceTransaction("0-1-" + number, "mysql-bin.000001", 1000L + number, 1_700_000_000_000L + number, List.of(
                new RowChange("PARTITIONS", RowChange.Operation.INSERT, List.of(), Arrays.asList(10L + number, "day=" + number, null)),
                new RowChange("SDS", RowChange.Operation.UPDATE, Arrays.asList(5L, true, new byte[] {1, 2}), Arrays.asList(5L, false, new byte[] {3}))));
    }

    private static List<String> readAll(StagingLog log, StagingPosition from)
    {
        List<String> read = new ArrayList<>();
        StagingPosition position = from;
        for (List<StagingLog.Entry> batch = log.read(position, 7); !batch.isEmpty(); batch = log.read(position, 7)) {
            batch.forEach(entry -> read.add(entry.transaction().gtid()));
            position = batch.get(batch.size() - 1).next();
        }
        return read;
    }

    @Test
    void anotherReplicaReadsWhatOneStagedFromAnEmptyDirectory()
    {
        List<String> written = new ArrayList<>();
        StagingPosition end;
        try (StagingLog staging = StagingLog.open(first, 2048, Optional.of(mirror))) {
            for (int i = 0; i < 30; i += 3) {
                List<SourceTransaction> batch = List.of(transaction(i), transaction(i + 1), transaction(i + 2));
                batch.forEach(transaction -> written.add(transaction.gtid()));
                staging.append(batch);
            }
            end = staging.end();
            assertThat(end.segment()).isGreaterThanOrEqualTo(3);
        }
        assertThat(mirror.store().list(mirror.prefix())).isNotEmpty();

        try (StagingLog takenOver = StagingLog.open(second, 2048, Optional.of(mirror))) {
            assertThat(takenOver.end()).isEqualTo(end);
            assertThat(readAll(takenOver, StagingPosition.START)).isEqualTo(written);
            takenOver.append(List.of(transaction(100)));
        }
        assertThat(second.resolve("capture.offsets")).doesNotExist();
        // The first replica's stale cache is replaced by the store's log, with what the other one appended.
        try (StagingLog back = StagingLog.open(first, 2048, Optional.of(mirror))) {
            assertThat(readAll(back, StagingPosition.START)).hasSize(written.size() + 1).endsWith("0-1-100");
        }
    }

    @Test
    void aFileKeptBesideTheLogComesBackWithIt()
            throws Exception
    {
        try (StagingLog staging = StagingLog.open(first, 2048, Optional.of(mirror))) {
            staging.append(List.of(transaction(1)));
            java.nio.file.Files.writeString(first.resolve("capture.offsets"), "offsets 1\n");
            staging.keepFile("capture.offsets");
            java.nio.file.Files.writeString(first.resolve("capture.offsets"), "offsets 2\n");
            staging.keepFile("capture.offsets");
        }
        try (StagingLog takenOver = StagingLog.open(second, 2048, Optional.of(mirror))) {
            assertThat(second.resolve("capture.offsets")).hasContent("offsets 2");
            assertThat(readAll(takenOver, StagingPosition.START)).containsExactly("0-1-1");
            assertThatThrownBy(() -> takenOver.keepFile("../elsewhere")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void removedSegmentsLeaveTheStoreAndWhatTheyHeldIsKept()
    {
        StagingPosition kept;
        try (StagingLog staging = StagingLog.open(first, 2048, Optional.of(mirror))) {
            for (int i = 0; i < 40; i++) {
                staging.append(List.of(transaction(i)));
            }
            kept = new StagingPosition(3, 0);
            assertThat(staging.removeBefore(3, "0-1-9")).isEqualTo(2);
        }
        assertThat(mirror.store().list(mirror.prefix() + "segment-000000000001.log/")).isEmpty();
        assertThat(mirror.store().list(mirror.prefix() + "segment-000000000002.log/")).isEmpty();
        assertThat(mirror.store().list(mirror.prefix() + "segment-000000000003.log/")).isNotEmpty();

        try (StagingLog takenOver = StagingLog.open(second, 2048, Optional.of(mirror))) {
            assertThat(takenOver.start()).isEqualTo(kept);
            assertThat(takenOver.removed()).hasValueSatisfying(removed -> {
                assertThat(removed.beforeSegment()).isEqualTo(3);
                assertThat(removed.position()).isEqualTo("0-1-9");
                assertThat(removed.transactions()).isPositive();
            });
            List<String> rest = readAll(takenOver, kept);
            assertThat(rest).isNotEmpty().endsWith("0-1-39");
            assertThat(rest.size() + takenOver.removed().orElseThrow().transactions()).isEqualTo(40);
            takenOver.delete();
        }
        assertThat(mirror.store().list(mirror.prefix())).isEmpty();
    }

    @Test
    void anAppendTheStoreDoesNotConfirmIsNotAcknowledgedAndTheLogReopensFromTheStore()
    {
        AtomicInteger putsLeft = new AtomicInteger(Integer.MAX_VALUE);
        ObjectStore real = mirror.store();
        ObjectStore failing = new ObjectStore()
        {
            @Override
            public String uri()
            {
                return real.uri();
            }

            @Override
            public void put(String key, byte[] bytes)
            {
                if (putsLeft.getAndDecrement() <= 0) {
                    throw new ReplicationException(ReplicationException.Reason.STAGING_UNAVAILABLE, "the object store refused " + key);
                }
                real.put(key, bytes);
            }

            @Override
            public Optional<byte[]> get(String key)
            {
                return real.get(key);
            }

            @Override
            public List<StoredObject> list(String prefix)
            {
                return real.list(prefix);
            }

            @Override
            public void delete(String key)
            {
                real.delete(key);
            }
        };
        StagingMirror flaky = new StagingMirror(failing, mirror.prefix());
        try (StagingLog staging = StagingLog.open(first, 64 * 1024, Optional.of(flaky))) {
            staging.append(List.of(transaction(1), transaction(2)));
            StagingPosition acknowledged = staging.end();
            putsLeft.set(0);
            assertThatThrownBy(() -> staging.append(List.of(transaction(3))))
                    .isInstanceOf(ReplicationException.class)
                    .hasMessageContaining("refused");
            assertThat(staging.end()).isEqualTo(acknowledged);
            putsLeft.set(Integer.MAX_VALUE);
            assertThatThrownBy(() -> staging.append(List.of(transaction(4))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("open the log again");
        }
        try (StagingLog reopened = StagingLog.open(first, 64 * 1024, Optional.of(flaky))) {
            assertThat(readAll(reopened, StagingPosition.START)).containsExactly("0-1-1", "0-1-2");
            reopened.append(List.of(transaction(3)));
            assertThat(readAll(reopened, StagingPosition.START)).containsExactly("0-1-1", "0-1-2", "0-1-3");
        }
    }

    @Test
    void aBucketThatDoesNotExistIsNamedWhenTheLogOpens()
    {
        StagingMirror missing = new StagingMirror(stores.bucket("no-such-bucket"), "migration/x");
        assertThatThrownBy(() -> StagingLog.open(first, 2048, Optional.of(missing)))
                .isInstanceOf(ReplicationException.class)
                .hasMessageContaining("s3://no-such-bucket");
    }
}
