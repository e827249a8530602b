package dev.ferry.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import javax.net.ServerSocketFactory;

import org.bbottema.javasocksproxyserver.SocksServer;
import org.bbottema.javasocksproxyserver.auth.UsernamePasswordAuthenticator;

/**
 * A SOCKS5 server (bbottema's java-socks-proxy-server, with RFC 1929 user/password authentication) in a process of
 * its own, on a loopback port, that alone knows some host names: it resolves names only from its own hosts file
 * ({@code jdk.net.hosts.file}), so a client in the test's JVM reaches a host of that file only through it. The test's
 * source server is then "reachable only through the proxy", as a source behind a bastion is.
 */
public final class SocksProxy
        implements AutoCloseable
{
    private final Process process;
    private final int port;

    private SocksProxy(Process process, int port)
    {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts the proxy; {@code hosts} maps the names only it resolves to addresses (e.g. {@code
     * metastore-db.internal -> 127.0.0.1}).
     */
    public static SocksProxy start(Map<String, String> hosts, String user, String password)
    {
        try {
            Path hostsFile = Files.createTempFile("ferry-socks-hosts", ".txt");
            hostsFile.toFile().deleteOnExit();
            Files.writeString(hostsFile, "127.0.0.1 localhost\n" + hosts.entrySet().stream()
                    .map(entry -> entry.getValue() + " " + entry.getKey())
                    .collect(Collectors.joining("\n", "", "\n")));
            int port = FreePorts.next();
            Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djdk.net.hosts.file=" + hostsFile, "-cp", System.getProperty("java.class.path"), SocksProxy.class.getName(),
                    Integer.toString(port), user, password))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            SocksProxy proxy = new SocksProxy(process, port);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                    return proxy;
                }
                catch (IOException notYet) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        proxy.close();
                        throw new IllegalStateException("the SOCKS5 proxy did not listen on port %s within 30 s (exit %s)"
                                .formatted(port, process.isAlive() ? "none" : process.exitValue()));
                    }
                    Thread.sleep(100);
                }
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot start a SOCKS5 proxy", e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a SOCKS5 proxy", e);
        }
    }

    public String host()
    {
        return "127.0.0.1";
    }

    public int port()
    {
        return port;
    }

    @Override
    public void close()
    {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The proxy process: {@code PORT USER PASSWORD}; it stops when its parent closes its standard input. */
    public static void main(String[] args)
            throws IOException
    {
        int port = Integer.parseInt(args[0]);
        String user = args[1];
        String password = args[2];
        SocksServer server = new SocksServer(port)
                .setFactory(new LoopbackServerSockets())
                .setAuthenticator(new UsernamePasswordAuthenticator(false)
                {
                    @Override
                    public boolean validate(String givenUser, String givenPassword)
                    {
                        return user.equals(givenUser) && password.equals(givenPassword);
                    }
                });
        server.start();
        try (BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            while (input.readLine() != null) {
                // Until the parent goes.
            }
        }
        server.stop();
        System.exit(0);
    }

    private static final class LoopbackServerSockets
            extends ServerSocketFactory
    {
        @Override
        public ServerSocket createServerSocket()
                throws IOException
        {
            return new ServerSocket();
        }

        @Override
        public ServerSocket createServerSocket(int port)
                throws IOException
        {
            return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog)
                throws IOException
        {
            return new ServerSocket(port, backlog, InetAddress.getLoopbackAddress());
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress address)
                throws IOException
        {
            return new ServerSocket(port, backlog, address);
        }
    }
}
