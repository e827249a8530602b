package dev.ferry.front.tls;

import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Reads a port's TLS files again when one changed, without a restart, so a renewed certificate serves new
 * connections; the same for the HTTP and the Thrift port, each giving what to do with the files read again. A
 * renewal writes the key and the certificate one after the other: the files are read once they stay as they are for a
 * whole interval, and a file that does not read (or a key that is not the certificate's) is logged and tried again at
 * the next check, the previous certificate serving meanwhile.
 */
public final class TlsReloader
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

    private final TlsMaterial tls;
    private final String port;
    private final Consumer<TlsMaterial> reload;
    private final ScheduledExecutorService timer;
    private List<FileTime> seen;
    private List<FileTime> changing;

    private TlsReloader(TlsMaterial tls, String port, Consumer<TlsMaterial> reload)
    {
        this.tls = requireNonNull(tls, "tls is null");
        this.port = requireNonNull(port, "port is null");
        this.reload = requireNonNull(reload, "reload is null");
        this.seen = tls.modified();
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, port.toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + "-tls-reload");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Checks the files every {@link TlsMaterial#reloadInterval()} from now on; when they changed, gives them to
     * {@code reload}, which reads them and puts them to use for new connections (throwing
     * IllegalArgumentException when they do not read). {@code port} names the port in the log ("HTTPS", "Thrift").
     */
    public static TlsReloader start(TlsMaterial tls, String port, Consumer<TlsMaterial> reload)
    {
        TlsReloader reloader = new TlsReloader(tls, port, reload);
        long millis = tls.reloadInterval().toMillis();
        reloader.timer.scheduleWithFixedDelay(reloader::check, millis, millis, TimeUnit.MILLISECONDS);
        return reloader;
    }

    private void check()
    {
        List<FileTime> now = tls.modified();
        if (now.equals(seen)) {
            return;
        }
        if (!now.equals(changing)) {
            // Changed since the last look: read once the files stay as they are for a whole interval.
            changing = now;
            return;
        }
        try {
            reload.accept(tls);
            seen = now;
            log.info("{}: reloaded the certificate and key from {}", port, tls.files());
        }
        catch (RuntimeException e) {
            // A half-written file: tried again at the next check; the old certificate serves meanwhile.
            log.warn("{}: cannot reload the certificate and key from {} (the previous ones still serve): {}", port, tls.files(), e.getMessage());
        }
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
    }
}
