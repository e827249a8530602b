package dev.ferry.control.rest;

import java.io.IOException;
import java.util.Optional;

import dev.ferry.control.security.Permission;

import static java.util.Objects.requireNonNull;

/**
 * One line of the route table: an HTTP method and a path template, who may call it, the name its calls are audited
 * under (mutations only), and the handler.
 */
public record Route(String method, PathTemplate path, Access access, Optional<String> auditName, Handler handler)
{
    /** Who may call a route. */
    public sealed interface Access
    {
        /** No token: health, readiness, metrics and the console's static files. */
        record Open() implements Access {}

        /** Any valid token, whatever its role: what asks about the caller's own permissions. */
        record AnyRole() implements Access {}

        /** A valid token whose role grants the permission. */
        record Granted(Permission permission) implements Access
        {
            public Granted
            {
                requireNonNull(permission, "permission is null");
            }
        }
    }

    /** Answers a call that passed the route's access check. */
    @FunctionalInterface
    public interface Handler
    {
        Response handle(Endpoints endpoints, Call call)
                throws IOException;
    }

    public Route
    {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        requireNonNull(access, "access is null");
        requireNonNull(auditName, "auditName is null");
        requireNonNull(handler, "handler is null");
        if (!method.matches("GET|HEAD|POST|DELETE")) {
            throw new IllegalArgumentException("route %s %s: unsupported method".formatted(method, path));
        }
        if (auditName.isPresent() && !(access instanceof Access.Granted)) {
            throw new IllegalArgumentException("route %s %s: only a call that needs a permission is audited".formatted(method, path));
        }
    }

    public static Route open(String method, String path, Handler handler)
    {
        return new Route(method, PathTemplate.of(path), new Access.Open(), Optional.empty(), handler);
    }

    public static Route anyRole(String method, String path, Handler handler)
    {
        return new Route(method, PathTemplate.of(path), new Access.AnyRole(), Optional.empty(), handler);
    }

    public static Route read(String method, String path, Permission permission, Handler handler)
    {
        return new Route(method, PathTemplate.of(path), new Access.Granted(permission), Optional.empty(), handler);
    }

    /** A call that changes something: audited under {@code auditName}, allowed or not. */
    public static Route mutation(String method, String path, Permission permission, String auditName, Handler handler)
    {
        return new Route(method, PathTemplate.of(path), new Access.Granted(permission), Optional.of(auditName), handler);
    }

    public Optional<Permission> permission()
    {
        return access instanceof Access.Granted granted ? Optional.of(granted.permission()) : Optional.empty();
    }

    public boolean needsToken()
    {
        return !(access instanceof Access.Open);
    }

    @Override
    public String toString()
    {
        return method + " " + path;
    }
}
