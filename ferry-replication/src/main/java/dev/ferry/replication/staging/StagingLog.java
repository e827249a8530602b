package dev.ferry.replication.staging;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *
 * <p>Segments that apply has applied and checkpointed, and that nothing else still reads, are removed
 * ({@link #removeBefore}): a migration that streams for months keeps on disk what apply has not yet applied, not
 * everything it ever captured. What the removed segments held that a restart needs (how many transactions, the last
 * one, the source position they cover) is kept beside the log in {@value #REMOVED_FILE}, so that a restart reads
 * only the segments left, whatever the log's length.
 *
 * <p>With a {@link StagingMirror} (a staging log in an object store, issue 16) the object store holds the log and
 * the directory is a cache of it on the replica that runs replication: {@link #append} returns only once the bytes
 * it wrote to each segment are an object of the store ({@value #CHUNK_PATTERN_TEXT}, one object per segment an
 * append touched), {@link #removeBefore} records what it removed there too and deletes the segments' objects, and
 * {@link #open} rebuilds the directory from the store, so that a replica which takes replication over reads what the
 * previous one staged.
 */
public final class StagingLog
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(StagingLog.class);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final int HEADER_BYTES = 8;
    private static final int MAX_FRAME_BYTES = 512 * 1024 * 1024;
    static final String REMOVED_FILE = "removed.properties";
    private static final String CHUNK_PATTERN_TEXT = "segment-NNNNNNNNNNNN.log/OOOOOOOOOOOOOOOO, O the offset of its first byte in the segment";
    private static final Pattern SIDE_FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Pattern CHUNK = Pattern.compile("segment-(\\d{12})\\.log/(\\d{16})");

    /**
     * What the segments before {@code beforeSegment} held, which were removed once applied: how many transactions,
     * the last one's id (empty when none had one), and the source position they were applied up to.
     */
    public record Removed(long beforeSegment, long transactions, String lastTransaction, String position)
    {
        public Removed
        {
            requireNonNull(lastTransaction, "lastTransaction is null");
            requireNonNull(position, "position is null");
        }
    }

    private final Path directory;
    private final long segmentBytes;
    private final Optional<StagingMirror> mirror;
    /** Guarded by this: an append the object store did not confirm; the log must be opened again (from the store). */
    private boolean unconfirmed;
    private FileChannel current;
    private long currentSegment;
    private volatile StagingPosition end;
    private volatile Optional<Removed> removed = Optional.empty();
    private final Object removal = new Object();

    /** Guarded by this. */
    private BooleanSupplier writable = () -> true;
    /** Guarded by this. */
    private Supplier<RuntimeException> refusal = () -> new IllegalStateException("the staging log is not writable");

    private StagingLog(Path directory, long segmentBytes, Optional<StagingMirror> mirror)
    {
        this.directory = requireNonNull(directory, "directory is null");
        this.segmentBytes = segmentBytes;
        this.mirror = requireNonNull(mirror, "mirror is null");
    }

    /** Opens (creating it if needed) the log in a directory, recovering its end after a crash. */
    public static StagingLog open(Path directory, long segmentBytes)
    {
        return open(directory, segmentBytes, Optional.empty());
    }

    /**
     * Opens the log; with a mirror, the log is the one in the object store, and {@code directory} (emptied first) its
     * cache here.
     */
    public static StagingLog open(Path directory, long segmentBytes, Optional<StagingMirror> mirror)
    {
        if (segmentBytes < 1024) {
            throw new IllegalArgumentException("segmentBytes must be at least 1024: " + segmentBytes);
        }
        StagingLog staging = new StagingLog(directory, segmentBytes, mirror);
        try {
            createOwnerOnlyDirectories(directory);
            if (mirror.isPresent()) {
                restore(directory, mirror.get());
            }
            staging.removed = readRemoved(directory);
            long first = staging.removed.map(Removed::beforeSegment).orElse(1L);
            // A removal that a crash interrupted after it recorded what it removed: finish it.
            for (long segment : segments(directory)) {
                if (segment < first) {
                    Files.deleteIfExists(segmentFile(directory, segment));
                }
            }
            List<Long> segments = segments(directory);
            long last = segments.isEmpty() ? first : segments.get(segments.size() - 1);
            staging.current = Files.exists(segmentFile(directory, last))
                    ? FileChannel.open(segmentFile(directory, last), StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : openOwnerOnly(segmentFile(directory, last));
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

    /**
     * Copies a file kept beside the log in its directory ({@code name}, such as capture's offsets) to the object store,
     * when the log lives there, so that the replica that opens the log next finds it; nothing otherwise. A later copy
     * replaces the earlier one.
     */
    public void keepFile(String name)
    {
        if (mirror.isEmpty()) {
            return;
        }
        if (!SIDE_FILE.matcher(name).matches() || name.equals(REMOVED_FILE)) {
            throw new IllegalArgumentException("not a name for a file beside the staging log: " + name);
        }
        try {
            mirror.get().store().put(mirror.get().prefix() + name, Files.readAllBytes(directory.resolve(name)));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read %s beside the staging log".formatted(directory.resolve(name)), e);
        }
    }

    /** Where the log is: its directory, or its place in the object store. */
    public String describe()
    {
        return mirror.map(StagingMirror::uri).orElse(directory.toString());
    }

    private static String chunkKey(StagingMirror mirror, StagingPosition start)
    {
        return mirror.prefix() + "segment-%012d.log/%016d".formatted(start.segment(), start.offset());
    }

    private static Optional<StagingPosition> chunkPosition(StagingMirror mirror, String key)
    {
        Matcher matcher = CHUNK.matcher(key.substring(Math.min(key.length(), mirror.prefix().length())));
        return key.startsWith(mirror.prefix()) && matcher.matches()
                ? Optional.of(new StagingPosition(Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))))
                : Optional.empty();
    }

    /**
     * Makes {@code directory} a copy of the log in the object store: what it recorded as removed, and each segment
     * as the concatenation of its objects in offset order, up to the first gap (an append that failed part-way
     * leaves none, since it returned no position; a later one starts where the durable end was).
     */
    private static void restore(Path directory, StagingMirror mirror)
            throws IOException
    {
        for (long segment : segments(directory)) {
            Files.deleteIfExists(segmentFile(directory, segment));
        }
        Files.deleteIfExists(directory.resolve(REMOVED_FILE));
        Files.deleteIfExists(directory.resolve(REMOVED_FILE + ".new"));
        Optional<byte[]> removedBytes = mirror.store().get(mirror.prefix() + REMOVED_FILE);
        if (removedBytes.isPresent()) {
            try (FileChannel channel = openOwnerOnly(directory.resolve(REMOVED_FILE))) {
                writeFully(channel, ByteBuffer.wrap(removedBytes.get()));
                channel.force(true);
            }
        }
        // Files kept beside the log (capture's offsets): the store's copy, where it has one, replaces this one.
        for (ObjectStore.StoredObject object : mirror.store().list(mirror.prefix())) {
            String name = object.key().substring(mirror.prefix().length());
            if (!name.contains("/") && !name.equals(REMOVED_FILE) && SIDE_FILE.matcher(name).matches()) {
                byte[] bytes = mirror.store().get(object.key()).orElse(null);
                if (bytes != null) {
                    Path temporary = directory.resolve(name + ".restored");
                    Files.deleteIfExists(temporary);
                    try (FileChannel channel = openOwnerOnly(temporary)) {
                        writeFully(channel, ByteBuffer.wrap(bytes));
                        channel.force(true);
                    }
                    Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        long first = readRemoved(directory).map(Removed::beforeSegment).orElse(1L);
        TreeMap<Long, TreeMap<Long, String>> chunks = new TreeMap<>();
        for (ObjectStore.StoredObject object : mirror.store().list(mirror.prefix() + "segment-")) {
            chunkPosition(mirror, object.key()).filter(position -> position.segment() >= first)
                    .ifPresent(position -> chunks.computeIfAbsent(position.segment(), ignored -> new TreeMap<>()).put(position.offset(), object.key()));
        }
        long chunksRead = 0;
        long bytesRead = 0;
        for (var segment : chunks.entrySet()) {
            try (FileChannel channel = openOwnerOnly(segmentFile(directory, segment.getKey()))) {
                for (var chunk : segment.getValue().entrySet()) {
                    if (chunk.getKey() != channel.size()) {
                        if (chunk.getKey() > channel.size()) {
                            log.warn("Staging log {}: segment {} has a gap at byte {} in the object store; the objects after it are not read", mirror.uri(), segment.getKey(),
                                    channel.size());
                            break;
                        }
                        // An append the store confirmed but whose caller did not see it: the next one wrote the same
                        // place again. Start from it.
                        channel.truncate(chunk.getKey());
                    }
                    byte[] bytes = mirror.store().get(chunk.getValue())
                            .orElseThrow(() -> new IOException("object %s/%s was removed while the staging log was read".formatted(mirror.store().uri(), chunk.getValue())));
                    writeFully(channel, ByteBuffer.wrap(bytes));
                    chunksRead++;
                    bytesRead += bytes.length;
                }
                channel.force(true);
            }
        }
        forceDirectory(directory);
        log.info("Staging log {}: {} objects ({} bytes) of {} segments copied to {}", mirror.uri(), chunksRead, bytesRead, chunks.size(), directory);
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer)
            throws IOException
    {
        channel.position(channel.size());
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Where the first frame still on disk starts: segments before it were removed once applied. */
    public StagingPosition start()
    {
        return new StagingPosition(removed.map(Removed::beforeSegment).orElse(StagingPosition.START.segment()), 0);
    }

    /** What the removed segments held, if any were removed. */
    public Optional<Removed> removed()
    {
        return removed;
    }

    /**
     * Removes every segment before {@code segment} (never the one being written), recording first what they held
     * beside the log; {@code appliedPosition} is the source position the caller applied them up to. Returns how many
     * segment files were removed.
     */
    public int removeBefore(long segment, String appliedPosition)
    {
        requireNonNull(appliedPosition, "appliedPosition is null");
        // Not under the log's own lock, which append takes: segments before the one being written are never written
        // again, and reading them, recording what they held and forcing the directory took 100 ms and more, during
        // which capture could not stage (docs/BENCHMARKS.md). One removal at a time.
        synchronized (removal) {
            return removeClosedSegmentsBefore(segment, appliedPosition);
        }
    }

    private int removeClosedSegmentsBefore(long segment, String appliedPosition)
    {
        long first = start().segment();
        long before;
        synchronized (this) {
            before = Math.min(segment, currentSegment);
        }
        if (before <= first) {
            return 0;
        }
        try {
            long transactions = removed.map(Removed::transactions).orElse(0L);
            String lastTransaction = removed.map(Removed::lastTransaction).orElse("");
            for (long removing = first; removing < before; removing++) {
                SegmentContents contents = readSegment(segmentFile(directory, removing));
                transactions += contents.transactions().size();
                for (SourceTransaction transaction : contents.transactions()) {
                    if (!transaction.gtid().isEmpty()) {
                        lastTransaction = transaction.gtid();
                    }
                }
            }
            Removed next = new Removed(before, transactions, lastTransaction, appliedPosition);
            writeRemoved(directory, next);
            if (mirror.isPresent()) {
                mirror.get().store().put(mirror.get().prefix() + REMOVED_FILE, Files.readAllBytes(directory.resolve(REMOVED_FILE)));
            }
            removed = Optional.of(next);
            for (long removing = first; removing < before; removing++) {
                Files.deleteIfExists(segmentFile(directory, removing));
            }
            forceDirectory(directory);
            if (mirror.isPresent()) {
                for (ObjectStore.StoredObject object : mirror.get().store().list(mirror.get().prefix() + "segment-")) {
                    if (chunkPosition(mirror.get(), object.key()).map(position -> position.segment() < before).orElse(false)) {
                        mirror.get().store().delete(object.key());
                    }
                }
            }
            log.debug("Staging log {}: removed applied segments {} to {} ({} transactions removed in all)", directory, first, before - 1, transactions);
            return (int) (before - first);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot remove applied segments from the staging log in " + directory, e);
        }
    }

    /** Bytes of the segment files on disk. */
    public long bytesOnDisk()
    {
        try {
            long bytes = 0;
            for (long segment : segments(directory)) {
                try {
                    bytes += Files.size(segmentFile(directory, segment));
                }
                catch (NoSuchFileException e) {
                    // Removed once applied since the listing.
                }
            }
            return bytes;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list the staging log in " + directory, e);
        }
    }

    private static Optional<Removed> readRemoved(Path directory)
            throws IOException
    {
        Path file = directory.resolve(REMOVED_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        try {
            return Optional.of(new Removed(Long.parseLong(properties.getProperty("before-segment")), Long.parseLong(properties.getProperty("transactions")),
                    properties.getProperty("last-transaction", ""), properties.getProperty("applied-position", "")));
        }
        catch (RuntimeException e) {
            throw new IOException("%s is damaged (%s): it says which applied segments were removed".formatted(file, e.getMessage()), e);
        }
    }

    /** Written to a new file, forced, then renamed over the old one: a crash leaves the old or the new, whole. */
    private static void writeRemoved(Path directory, Removed removed)
            throws IOException
    {
        Properties properties = new Properties();
        properties.setProperty("before-segment", Long.toString(removed.beforeSegment()));
        properties.setProperty("transactions", Long.toString(removed.transactions()));
        properties.setProperty("last-transaction", removed.lastTransaction());
        properties.setProperty("applied-position", removed.position());
        Path temporary = directory.resolve(REMOVED_FILE + ".new");
        Files.deleteIfExists(temporary);
        try (FileChannel channel = openOwnerOnly(temporary);
                Writer writer = Channels.newWriter(channel, StandardCharsets.UTF_8)) {
            properties.store(writer, "Applied segments removed from this staging log; a restart reads only the segments left");
            writer.flush();
            channel.force(true);
        }
        Files.move(temporary, directory.resolve(REMOVED_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(directory);
    }

    /** Where the next frame will be written: everything before it is durable. */
    public StagingPosition end()
    {
        return end;
    }

    /**
     * Makes every later {@link #append} first ask {@code writable}, and throw what {@code refusal} gives when it says
     * no: a replica whose replication lease may have passed to another replica (issue 16) must not write a log that
     * the other one now writes.
     */
    public synchronized void guard(BooleanSupplier writable, Supplier<RuntimeException> refusal)
    {
        this.writable = requireNonNull(writable, "writable is null");
        this.refusal = requireNonNull(refusal, "refusal is null");
    }

    /** Writes the transactions, in order, and returns once they are on disk. */
    public synchronized StagingPosition append(List<SourceTransaction> transactions)
    {
        if (!writable.getAsBoolean()) {
            throw refusal.get();
        }
        if (unconfirmed) {
            throw new IllegalStateException("staging log %s: an earlier append was not confirmed by the object store; open the log again".formatted(describe()));
        }
        // With a mirror: what this append wrote to each segment, from where, to be written to the store whole.
        Map<StagingPosition, ByteArrayOutputStream> chunks = new LinkedHashMap<>();
        ByteArrayOutputStream chunk = null;
        long chunkSegment = 0;
        try {
            for (SourceTransaction transaction : transactions) {
                byte[] payload = FrameCodec.encode(transaction);
                if (current.position() > 0 && current.position() + HEADER_BYTES + payload.length > segmentBytes) {
                    roll();
                }
                CRC32 crc = new CRC32();
                crc.update(payload);
                ByteBuffer header = FrameCodec.header(payload.length, (int) crc.getValue());
                if (mirror.isPresent()) {
                    if (chunk == null || chunkSegment != currentSegment) {
                        chunk = new ByteArrayOutputStream();
                        chunkSegment = currentSegment;
                        chunks.put(new StagingPosition(currentSegment, current.position()), chunk);
                    }
                    chunk.write(header.array(), 0, HEADER_BYTES);
                    chunk.write(payload, 0, payload.length);
                }
                ByteBuffer body = ByteBuffer.wrap(payload);
                while (header.hasRemaining() || body.hasRemaining()) {
                    current.write(new ByteBuffer[] {header, body});
                }
            }
            current.force(false);
            if (mirror.isPresent()) {
                try {
                    for (Map.Entry<StagingPosition, ByteArrayOutputStream> written : chunks.entrySet()) {
                        mirror.get().store().put(chunkKey(mirror.get(), written.getKey()), written.getValue().toByteArray());
                    }
                }
                catch (RuntimeException e) {
                    // The cache now holds frames the store may not: nothing more is appended until the log is opened
                    // again, which rebuilds the cache from the store.
                    unconfirmed = true;
                    throw e;
                }
            }
            end = new StagingPosition(currentSegment, current.position());
            notifyAll();
            return end;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write the staging log in " + directory, e);
        }
    }

    /**
     * Creates {@code directory} and its missing parents readable by their owner only (POSIX 700): the staging log holds
     * the source's rows.
     */
    private static void createOwnerOnlyDirectories(Path directory)
            throws IOException
    {
        if (!POSIX) {
            Files.createDirectories(directory);
            return;
        }
        Path absolute = directory.toAbsolutePath();
        List<Path> missing = new ArrayList<>();
        for (Path path = absolute; path != null && !Files.isDirectory(path); path = path.getParent()) {
            missing.add(0, path);
        }
        for (Path path : missing) {
            try {
                Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(path)) {
                    throw e;
                }
            }
        }
    }

    /** A new segment file, readable and writable by its owner only (POSIX 600). */
    private static FileChannel openOwnerOnly(Path file)
            throws IOException
    {
        if (!POSIX) {
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private void roll()
            throws IOException
    {
        current.force(true);
        current.close();
        currentSegment++;
        current = openOwnerOnly(segmentFile(directory, currentSegment));
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
        if (from.segment() < start().segment()) {
            throw new IllegalStateException("staging log %s: segments before %s were removed once applied, cannot read from %s".formatted(directory, start().segment(), from));
        }
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
        mirror.ifPresent(StagingMirror::deleteAll);
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
