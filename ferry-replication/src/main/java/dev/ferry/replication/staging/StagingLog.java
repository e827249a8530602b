package dev.ferry.replication.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The durable queue between capture and apply: the source transactions captured from the binlog, in source order,
 * in segment files {@code segment-NNNNNNNNNNNN.log} under one directory per migration. Each transaction is one
 * frame: payload length (i32), CRC-32 of the payload (i32), payload ({@link FrameCodec}). {@link #append} returns
 * only once the frames are on disk (fsync), so capture commits a source offset only for transactions that survive
 * a crash; opening the log cuts a frame torn by a crash from the end of the last segment. Segments roll at a size.
 * It is what lets the source purge its binlogs while the own database is slow or down.
 */
public final class StagingLog
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(StagingLog.class);
    private static final int HEADER_BYTES = 8;
    private static final int MAX_FRAME_BYTES = 512 * 1024 * 1024;

    private final Path directory;
    private final long segmentBytes;
    private FileChannel current;
    private long currentSegment;
    private volatile StagingPosition end;

    private StagingLog(Path directory, long segmentBytes)
    {
        this.directory = requireNonNull(directory, "directory is null");
        this.segmentBytes = segmentBytes;
    }

    /** Opens (creating it if needed) the log in a directory, recovering its end after a crash. */
    public static StagingLog open(Path directory, long segmentBytes)
    {
        if (segmentBytes < 1024) {
            throw new IllegalArgumentException("segmentBytes must be at least 1024: " + segmentBytes);
        }
        StagingLog staging = new StagingLog(directory, segmentBytes);
        try {
            Files.createDirectories(directory);
            List<Long> segments = segments(directory);
            long last = segments.isEmpty() ? 1 : segments.get(segments.size() - 1);
            staging.current = FileChannel.open(segmentFile(directory, last), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            staging.currentSegment = last;
            long validEnd = validEnd(staging.current);
            if (validEnd < staging.current.size()) {
                log.warn("Staging log {}: cutting {} bytes of a frame torn by a crash from segment {}", directory,
                        staging.current.size() - validEnd, last);
                staging.current.truncate(validEnd);
                staging.current.force(true);
            }
            staging.current.position(validEnd);
            staging.end = new StagingPosition(last, validEnd);
            forceDirectory(directory);
        }
        catch (IOException e) {
            staging.closeQuietly();
            throw new UncheckedIOException("cannot open the staging log in " + directory, e);
        }
        return staging;
    }

    public Path directory()
    {
        return directory;
    }

    /** Where the next frame will be written: everything before it is durable. */
    public StagingPosition end()
    {
        return end;
    }

    /** Writes the transactions, in order, and returns once they are on disk. */
    public synchronized StagingPosition append(List<SourceTransaction> transactions)
    {
        try {
            for (SourceTransaction transaction : transactions) {
                byte[] payload = FrameCodec.encode(transaction);
                if (current.position() > 0 && current.position() + HEADER_BYTES + payload.length > segmentBytes) {
                    roll();
                }
                CRC32 crc = new CRC32();
                crc.update(payload);
                ByteBuffer header = FrameCodec.header(payload.length, (int) crc.getValue());
                ByteBuffer body = ByteBuffer.wrap(payload);
                while (header.hasRemaining() || body.hasRemaining()) {
                    current.write(new ByteBuffer[] {header, body});
                }
            }
            current.force(false);
            end = new StagingPosition(currentSegment, current.position());
            notifyAll();
            return end;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write the staging log in " + directory, e);
        }
    }

    private void roll()
            throws IOException
    {
        current.force(true);
        current.close();
        currentSegment++;
        current = FileChannel.open(segmentFile(directory, currentSegment), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        forceDirectory(directory);
    }

    /** Waits until the durable end is past the position, at most the timeout, so a reader need not poll. */
    public synchronized void awaitBeyond(StagingPosition position, long timeoutMillis)
            throws InterruptedException
    {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (end.compareTo(position) <= 0) {
            long remaining = deadline - System.currentTimeMillis();
            if (remaining <= 0) {
                return;
            }
            wait(remaining);
        }
    }

    /** A frame read back: where it starts, where the next one starts, and the transaction. */
    public record Entry(StagingPosition position, StagingPosition next, SourceTransaction transaction) {}

    /**
     * Reads up to {@code limit} frames from a position, stopping at the durable end; an empty list means the
     * reader has caught up with capture.
     */
    public List<Entry> read(StagingPosition from, int limit)
    {
        StagingPosition stop = end;
        List<Entry> entries = new ArrayList<>();
        StagingPosition position = from;
        try {
            while (entries.size() < limit && position.compareTo(stop) < 0) {
                Path file = segmentFile(directory, position.segment());
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    long segmentEnd = position.segment() == stop.segment() ? stop.offset() : channel.size();
                    long offset = position.offset();
                    while (entries.size() < limit && offset < segmentEnd) {
                        StagingPosition start = new StagingPosition(position.segment(), offset);
                        byte[] payload = readFrame(channel, offset)
                                .orElseThrow(() -> new IllegalStateException("staging log %s is corrupt at %s".formatted(file, start)));
                        offset += HEADER_BYTES + payload.length;
                        entries.add(new Entry(start, new StagingPosition(position.segment(), offset), FrameCodec.decode(payload)));
                    }
                    position = offset >= segmentEnd && position.segment() < stop.segment()
                            ? new StagingPosition(position.segment() + 1, 0)
                            : new StagingPosition(position.segment(), offset);
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the staging log in " + directory, e);
        }
        if (!entries.isEmpty()) {
            Entry last = entries.get(entries.size() - 1);
            // Point past a segment's end at the next segment, so a checkpoint never names a finished segment.
            if (position.segment() > last.next().segment()) {
                entries.set(entries.size() - 1, new Entry(last.position(), position, last.transaction()));
            }
        }
        return entries;
    }

    /**
     * What one segment file holds: its transactions, and how many of its bytes are valid frames; bytes after the
     * last valid frame are a frame torn by a crash (cut when the log is next opened) or damage.
     */
    public record SegmentContents(List<SourceTransaction> transactions, long validBytes, long fileBytes)
    {
        public SegmentContents
        {
            transactions = List.copyOf(transactions);
        }
    }

    /** Every transaction of one segment file, for {@code ferry staging print}. */
    public static SegmentContents readSegment(Path file)
    {
        List<SourceTransaction> transactions = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long offset = 0;
            while (offset < channel.size()) {
                Optional<byte[]> payload = readFrame(channel, offset);
                if (payload.isEmpty()) {
                    break;
                }
                transactions.add(FrameCodec.decode(payload.get()));
                offset += HEADER_BYTES + payload.get().length;
            }
            return new SegmentContents(transactions, offset, channel.size());
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read staging segment " + file, e);
        }
    }

    private static Optional<byte[]> readFrame(FileChannel channel, long offset)
            throws IOException
    {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        if (!readFully(channel, header, offset)) {
            return Optional.empty();
        }
        header.flip();
        int length = header.getInt();
        int crc = header.getInt();
        if (length < 0 || length > MAX_FRAME_BYTES || offset + HEADER_BYTES + length > channel.size()) {
            return Optional.empty();
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        if (!readFully(channel, payload, offset + HEADER_BYTES)) {
            return Optional.empty();
        }
        CRC32 check = new CRC32();
        check.update(payload.array());
        return (int) check.getValue() == crc ? Optional.of(payload.array()) : Optional.empty();
    }

    private static boolean readFully(FileChannel channel, ByteBuffer buffer, long offset)
            throws IOException
    {
        long position = offset;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position);
            if (read < 0) {
                return false;
            }
            position += read;
        }
        return true;
    }

    private static long validEnd(FileChannel channel)
            throws IOException
    {
        long offset = 0;
        while (offset < channel.size()) {
            Optional<byte[]> payload = readFrame(channel, offset);
            if (payload.isEmpty()) {
                break;
            }
            offset += HEADER_BYTES + payload.get().length;
        }
        return offset;
    }

    private static List<Long> segments(Path directory)
            throws IOException
    {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> name.matches("segment-\\d{12}\\.log"))
                    .map(name -> Long.parseLong(name.substring("segment-".length(), name.length() - ".log".length())))
                    .sorted(Comparator.naturalOrder())
                    .toList();
        }
    }

    static Path segmentFile(Path directory, long segment)
    {
        return directory.resolve("segment-%012d.log".formatted(segment));
    }

    private static void forceDirectory(Path directory)
            throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Closes the log and removes its directory with every segment. */
    public void delete()
    {
        closeQuietly();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot delete the staging log in " + directory, e);
        }
    }

    private void closeQuietly()
    {
        try {
            if (current != null) {
                current.close();
            }
        }
        catch (IOException ignored) {
            // Nothing buffered: every append forced its frames.
        }
    }

    @Override
    public void close()
    {
        closeQuietly();
    }
}
