package dev.ferry.replication.source;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the connections to sources that are reachable only through a SOCKS5 proxy ({@link SourceProxy}) through it,
 * whoever opens them: Ferry's own JDBC connections, the engine on the source (in its own class loader) and the binlog
 * client all open plain sockets, which ask the JVM's {@link ProxySelector} where to connect. This one answers with
 * the proxy for a registered source's host and port only, and leaves every other destination to the selector it
 * replaced (by default: direct). The proxy's user and password are given to the JVM's SOCKS client through an
 * {@link Authenticator} that answers only that proxy. A destination whose name only the proxy can resolve is sent
 * to the proxy unresolved (SOCKS5 remote name resolution).
 */
public final class SourceRoutes
{
    private static final Logger log = LoggerFactory.getLogger(SourceRoutes.class);
    private static final Map<String, SourceProxy> routes = new ConcurrentHashMap<>();
    private static volatile boolean installed;

    private SourceRoutes() {}

    /** Routes the source's host and port through its proxy, if it has one; idempotent. */
    public static void register(String host, int port, Optional<SourceProxy> proxy)
    {
        if (proxy.isEmpty()) {
            return;
        }
        install();
        SourceProxy previous = routes.put(key(host, port), proxy.get());
        if (!proxy.get().equals(previous)) {
            log.info("Connections to the source at {}:{} go through the SOCKS5 proxy {}", host, port, proxy.get());
        }
    }

    /** The proxy a destination is routed through, if any. */
    public static Optional<SourceProxy> proxyFor(String host, int port)
    {
        return Optional.ofNullable(routes.get(key(host, port)));
    }

    private static String key(String host, int port)
    {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return bare.toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static synchronized void install()
    {
        if (installed) {
            return;
        }
        ProxySelector.setDefault(new SourceProxySelector(ProxySelector.getDefault()));
        Authenticator.setDefault(new SourceProxyAuthenticator(Authenticator.getDefault()));
        installed = true;
    }

    private static final class SourceProxySelector
            extends ProxySelector
    {
        private final ProxySelector previous;

        SourceProxySelector(ProxySelector previous)
        {
            this.previous = previous;
        }

        @Override
        public List<Proxy> select(URI uri)
        {
            if (uri != null && "socket".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null) {
                SourceProxy proxy = routes.get(key(uri.getHost(), uri.getPort()));
                if (proxy != null) {
                    return List.of(new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved(proxy.host(), proxy.port())));
                }
            }
            return previous == null ? List.of(Proxy.NO_PROXY) : previous.select(uri);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress address, IOException failure)
        {
            if (previous != null) {
                previous.connectFailed(uri, address, failure);
            }
        }
    }

    private static final class SourceProxyAuthenticator
            extends Authenticator
    {
        private final Authenticator previous;

        SourceProxyAuthenticator(Authenticator previous)
        {
            this.previous = previous;
        }

        @Override
        protected PasswordAuthentication getPasswordAuthentication()
        {
            if (getRequestingProtocol() != null && getRequestingProtocol().toUpperCase(Locale.ROOT).startsWith("SOCKS")) {
                for (SourceProxy proxy : routes.values()) {
                    if (proxy.username().isPresent() && proxy.port() == getRequestingPort() && proxy.host().equalsIgnoreCase(getRequestingHost())) {
                        return new PasswordAuthentication(proxy.username().get(), proxy.password().orElse("").toCharArray());
                    }
                }
            }
            return previous == null ? null
                    : Authenticator.requestPasswordAuthentication(previous, getRequestingHost(), getRequestingSite(), getRequestingPort(), getRequestingProtocol(),
                            getRequestingPrompt(), getRequestingScheme(), getRequestingURL(), getRequestorType());
        }
    }
}
