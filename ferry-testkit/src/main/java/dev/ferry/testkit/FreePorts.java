package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * A port free on the loopback interface now; the caller binds it soon after. Never the same port twice in one JVM:
 * the kernel may hand a port it just released to the next bind of port 0 (seen in CI: a Ferry configured with the same
 * port for Thrift and HTTP, from two calls in a row).
 */
public final class FreePorts
{
    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {}

    public static synchronized int next()
    {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                port = socket.getLocalPort();
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (handedOut.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no loopback port that was not handed out before, in 100 tries");
    }
}
