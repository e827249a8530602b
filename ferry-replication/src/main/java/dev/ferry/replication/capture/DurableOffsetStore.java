package dev.ferry.replication.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's source offsets in a file beside the staging log, written to a temporary file, fsynced and renamed,
 * so an offset is never half written. One line per entry: Base64 key, space, Base64 value. Capture seeds it with
 * the backfill's start position before the first start.
 */
public final class DurableOffsetStore
        extends MemoryOffsetBackingStore
{
    static final String FILE_PROPERTY = "offset.storage.file.filename";
    /** What runs after the offsets of a file were written (capture keeps them in the object store too): by file. */
    private static final Map<Path, Runnable> AFTER_WRITE = new ConcurrentHashMap<>();

    private Path file;

    @Override
    public void configure(WorkerConfig config)
    {
        super.configure(config);
        String name = config.originalsStrings().get(FILE_PROPERTY);
        if (name == null) {
            throw new IllegalArgumentException(FILE_PROPERTY + " is not set");
        }
        file = Path.of(name);
    }

    @Override
    public synchronized void start()
    {
        super.start();
        data.putAll(read(file));
    }

    @Override
    protected void save()
    {
        write(file, data);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName)
    {
        return Set.of();
    }

    static Map<ByteBuffer, ByteBuffer> read(Path file)
    {
        Map<ByteBuffer, ByteBuffer> entries = new HashMap<>();
        if (!Files.exists(file)) {
            return entries;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split(" ");
                entries.put(ByteBuffer.wrap(Base64.getDecoder().decode(parts[0])), ByteBuffer.wrap(Base64.getDecoder().decode(parts[1])));
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read capture offsets from " + file, e);
        }
        return entries;
    }

    static void write(Path file, Map<ByteBuffer, ByteBuffer> entries)
    {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<ByteBuffer, ByteBuffer> entry : entries.entrySet()) {
            text.append(Base64.getEncoder().encodeToString(bytes(entry.getKey()))).append(' ')
                    .append(Base64.getEncoder().encodeToString(bytes(entry.getValue()))).append('\n');
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)));
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write capture offsets to " + file, e);
        }
        Runnable after = AFTER_WRITE.get(file.toAbsolutePath().normalize());
        if (after != null) {
            after.run();
        }
    }

    /** Runs {@code after} each time the offsets in {@code file} were written, until {@link #forget}. */
    static void afterWrite(Path file, Runnable after)
    {
        AFTER_WRITE.put(file.toAbsolutePath().normalize(), after);
    }

    static void forget(Path file)
    {
        AFTER_WRITE.remove(file.toAbsolutePath().normalize());
    }

    /**
     * Seeds the file with one offset, in the JSON form Kafka Connect's converters give keys and values; the value
     * is the dialect's ({@link dev.ferry.replication.source.SourceDialect#seedOffset}).
     */
    static void seed(Path file, String engineName, String topicPrefix, String value)
    {
        String key = "[\"%s\",{\"server\":\"%s\"}]".formatted(engineName, topicPrefix);
        write(file, Map.of(ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)), ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8))));
    }

    /** The stored entries as text, for logs and tests. */
    static List<String> describe(Path file)
    {
        return read(file).entrySet().stream()
                .map(entry -> new String(bytes(entry.getKey()), StandardCharsets.UTF_8) + " = " + new String(bytes(entry.getValue()), StandardCharsets.UTF_8))
                .toList();
    }

    private static byte[] bytes(ByteBuffer buffer)
    {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
