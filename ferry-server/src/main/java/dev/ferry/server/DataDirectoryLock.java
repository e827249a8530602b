package dev.ferry.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static java.util.Objects.requireNonNull;

/**
 * An exclusive lock on the data directory, held for the life of the process, so that two Ferry instances never
 * share one own database. The operating system releases it when the process dies, however it dies.
 */
final class DataDirectoryLock
        implements AutoCloseable
{
    static final String FILE_NAME = "ferry.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(Path file, FileChannel channel, FileLock lock)
    {
        this.file = requireNonNull(file, "file is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.lock = requireNonNull(lock, "lock is null");
    }

    static DataDirectoryLock acquire(Path dataDirectory)
    {
        Path file = dataDirectory.resolve(FILE_NAME);
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDirectory);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new FerryStartupException("another Ferry is running on data directory %s (it holds %s)"
                        .formatted(dataDirectory.toAbsolutePath(), file.toAbsolutePath()));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new DataDirectoryLock(file, channel, lock);
        }
        catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new FerryStartupException("data directory %s is already in use by this process".formatted(dataDirectory.toAbsolutePath()));
        }
        catch (IOException e) {
            closeQuietly(channel);
            throw new FerryStartupException("cannot lock data directory %s: %s".formatted(dataDirectory.toAbsolutePath(), e.getMessage()));
        }
        catch (FerryStartupException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    Path file()
    {
        return file;
    }

    private static void closeQuietly(FileChannel channel)
    {
        if (channel != null) {
            try {
                channel.close();
            }
            catch (IOException ignored) {
                // Nothing to release beyond the channel itself.
            }
        }
    }

    @Override
    public void close()
    {
        try {
            lock.release();
        }
        catch (IOException ignored) {
            // Closing the channel below releases it too.
        }
        closeQuietly(channel);
    }
}
