package dev.ferry.control.rest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import dev.ferry.control.ControlException;
import dev.ferry.control.ErrorCode;

import static java.util.Objects.requireNonNull;

/**
 * The web console's static files (module ferry-console), read from the classpath under {@value #ROOT} and served
 * under {@code /console/}. They carry no secret and need no token: the console's calls to {@code /v1} carry the
 * token the user signs in with. Nothing is fetched from elsewhere, and the Content-Security-Policy says so to the
 * browser.
 */
public final class ConsoleAssets
{
    public static final String ROOT = "ferry-console/";
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json; charset=utf-8",
            "txt", "text/plain; charset=utf-8");
    private static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "X-Frame-Options", "DENY",
            "Cache-Control", "no-cache");

    private final ClassLoader loader;
    /** Files found, by name; a name not found is not kept, so that requests for made-up names cannot grow this. */
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    private ConsoleAssets(ClassLoader loader)
    {
        this.loader = requireNonNull(loader, "loader is null");
    }

    /** The console files on this class loader's classpath, if the build has them. */
    public static ConsoleAssets fromClasspath(ClassLoader loader)
    {
        return new ConsoleAssets(loader);
    }

    public boolean installed()
    {
        return read("index.html").isPresent();
    }

    Response root(Call call)
    {
        return Response.redirect("/console/");
    }

    Response index(Call call)
    {
        return file("index.html");
    }

    Response asset(Call call)
    {
        return file(call.variable("file"));
    }

    private Response file(String name)
    {
        if (!installed()) {
            throw new ControlException(ErrorCode.NOT_FOUND, "the web console is not in this build (no %sindex.html on the classpath); the API is under /v1".formatted(ROOT));
        }
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        byte[] bytes = FILE.matcher(name).matches() && type != null ? read(name).orElse(null) : null;
        if (bytes == null) {
            throw new ControlException(ErrorCode.NOT_FOUND, "the console has no file %s".formatted(Call.abbreviate(name)));
        }
        Response response = new Response(200, type, Map.of(), bytes);
        for (Map.Entry<String, String> header : HEADERS.entrySet()) {
            response = response.withHeader(header.getKey(), header.getValue());
        }
        return response;
    }

    private Optional<byte[]> read(String name)
    {
        byte[] cached = cache.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            cache.put(name, bytes);
            return Optional.of(bytes);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the console file " + name, e);
        }
    }
}
