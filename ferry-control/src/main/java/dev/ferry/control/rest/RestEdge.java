package dev.ferry.control.rest;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.control.ControlException;
import dev.ferry.control.ControlPlane;
import dev.ferry.control.ErrorCode;
import dev.ferry.control.FieldViolation;
import dev.ferry.control.Text;
import dev.ferry.control.Views;
import dev.ferry.control.security.Permission;
import dev.ferry.control.security.Principal;
import dev.ferry.control.security.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The REST edge: finds a request's route in the {@link RouteTable}, authenticates and authorizes it (401, then 404
 * for a method the path does not take, then 403), runs the handler, and translates every failure, once, to the
 * Google-style JSON error; bad input never gets a 5xx. Writes the request log, the audit line of every mutation
 * (allowed or not) and the latency metric. Knows nothing of the HTTP server in front of it.
 */
public final class RestEdge
{
    private static final Logger log = LoggerFactory.getLogger(RestEdge.class);
    private static final Logger requestLog = LoggerFactory.getLogger("ferry.http");
    private static final Logger audit = LoggerFactory.getLogger("ferry.audit");

    private final RouteTable routes;
    private final Endpoints endpoints;
    private final Tokens tokens;
    private final Metrics metrics;

    public RestEdge(RouteTable routes, Endpoints endpoints, Tokens tokens, Metrics metrics)
    {
        this.routes = requireNonNull(routes, "routes is null");
        this.endpoints = requireNonNull(endpoints, "endpoints is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    /** Ferry's routes over its control plane, tokens, metrics (which the Thrift front feeds too), readiness and console files. */
    public static RestEdge of(ControlPlane controlPlane, Tokens tokens, Metrics metrics, Supplier<SystemEndpoints.Readiness> readiness, ConsoleAssets console)
    {
        Endpoints endpoints = new Endpoints(new SystemEndpoints(metrics, readiness), new MigrationEndpoints(controlPlane), new TokenEndpoints(tokens), console);
        return new RestEdge(RestRoutes.TABLE, endpoints, tokens, metrics);
    }

    /** What the log lines of one call need to know. */
    private static final class Outcome
    {
        String route = "unknown";
        Optional<String> auditName = Optional.empty();
        String auditResource = "";
        Call call;
    }

    /** The answer to {@code request}; never throws. */
    public Response handle(Request request)
    {
        long started = System.nanoTime();
        Outcome outcome = new Outcome();
        Response response;
        try {
            response = dispatch(request, outcome);
        }
        catch (ControlException e) {
            response = error(e.code(), e.getMessage(), e.violations());
        }
        catch (IOException e) {
            log.debug("Could not read {} {}: {}", Text.escaped(request.method()), Text.escaped(request.rawPath()), Text.escaped(e.getMessage()));
            response = error(ErrorCode.INVALID_ARGUMENT, "the request could not be read: " + e.getMessage(), List.of(new FieldViolation(Call.BODY, "could not be read")));
        }
        catch (RuntimeException e) {
            String incident = UUID.randomUUID().toString().substring(0, 8);
            log.error("Request {} {} failed (incident {})", Text.escaped(request.method()), Text.escaped(request.path()), incident, e);
            response = error(ErrorCode.INTERNAL, "internal error (incident %s); Ferry's log has the details".formatted(incident), List.of());
        }
        long nanos = System.nanoTime() - started;
        Optional<Principal> principal = outcome.call == null ? Optional.empty() : outcome.call.principal();
        metrics.observeRequest(outcome.route, request.method(), response.status(), nanos);
        // What a client sent is escaped: a line break in a method or a name must not start a forged log line.
        requestLog.info("{} {} {} {} ms{}", Text.escaped(request.method()), Text.escaped(request.rawPath()), response.status(), nanos / 1_000_000,
                principal.map(caller -> " principal=" + Text.escaped(caller.name())).orElse(""));
        if (outcome.auditName.isPresent()) {
            int status = response.status();
            audit.info("principal={} role={} method={} resource={} requestId={} outcome={} status={}",
                    principal.map(caller -> Text.escaped(caller.name())).orElse("(none)"), principal.map(caller -> caller.role().wireName()).orElse("(none)"),
                    outcome.auditName.get(), Text.escaped(outcome.auditResource), outcome.call.requestId().map(UUID::toString).orElse("(none)"),
                    status < 300 ? "OK" : status == 401 || status == 403 ? "DENIED" : "ERROR", status);
        }
        return response;
    }

    private Response dispatch(Request request, Outcome outcome)
            throws IOException
    {
        String path = request.path();
        boolean api = path.startsWith("/v1/");
        if (api && path.chars().anyMatch(Character::isISOControl)) {
            // No name holds a control character, and the control store could not even look up one with NUL.
            authenticate(request, outcome.call = new Call(request, Map.of()));
            throw new ControlException(ErrorCode.NOT_FOUND, "no resource at %s: a name has no control characters".formatted(Call.abbreviate(path).replaceAll("\\p{Cntrl}", "?")));
        }
        Optional<RouteTable.Match> found = routes.match(path);
        if (found.isEmpty()) {
            if (!api) {
                throw new ControlException(ErrorCode.NOT_FOUND, "no resource at %s; the API is under /v1".formatted(Call.abbreviate(path)));
            }
            authenticate(request, outcome.call = new Call(request, Map.of()));
            throw new ControlException(ErrorCode.NOT_FOUND, routes.explainMissing(path));
        }
        RouteTable.Match match = found.get();
        outcome.route = match.template().toString();
        Call call = new Call(request, match.variables());
        outcome.call = call;
        Optional<Route> route = match.route(request.method());
        if (route.isEmpty()) {
            if (match.routes().stream().anyMatch(Route::needsToken)) {
                authenticate(request, call);
            }
            String methods = String.join(", ", match.methods());
            return error(ErrorCode.NOT_FOUND, "%s does not take %s; it takes %s".formatted(match.template(), Call.abbreviate(request.method()), methods), List.of())
                    .withHeader("Allow", methods);
        }
        Route target = route.get();
        outcome.auditName = target.auditName();
        if (target.auditName().isPresent()) {
            String resource = path.substring("/v1/".length());
            outcome.auditResource = Call.abbreviate(target.path().customMethod().isPresent() ? resource.substring(0, resource.lastIndexOf(':')) : resource);
        }
        if (target.needsToken()) {
            Principal principal = authenticate(request, call);
            Optional<Permission> permission = target.permission();
            if (permission.isPresent() && !principal.role().allows(permission.get())) {
                throw new ControlException(ErrorCode.PERMISSION_DENIED, "permission %s denied: principal %s has role %s, which does not grant it".formatted(
                        permission.get().qualifiedName(), principal.name(), principal.role().wireName()));
            }
        }
        return target.handler().handle(endpoints, call);
    }

    private Principal authenticate(Request request, Call call)
    {
        Optional<String> header = request.header("Authorization");
        if (header.isEmpty() || header.get().isBlank()) {
            throw new ControlException(ErrorCode.UNAUTHENTICATED, "this call needs a bearer token: Authorization: Bearer TOKEN");
        }
        if (!header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ControlException(ErrorCode.UNAUTHENTICATED, "the Authorization header must be \"Bearer TOKEN\"");
        }
        Tokens.Authentication checked = tokens.check(header.get().substring(7).trim());
        if (checked.expiredAt().isPresent()) {
            throw new ControlException(ErrorCode.UNAUTHENTICATED, "the bearer token expired at %s; ask an admin for a new one (ferry tokens create), or, with access to the data directory, ferry tokens recover"
                    .formatted(Views.time(checked.expiredAt().get())));
        }
        Principal principal = checked.principal()
                .orElseThrow(() -> new ControlException(ErrorCode.UNAUTHENTICATED, "the bearer token is not valid: unknown or revoked"));
        call.principal(principal);
        return principal;
    }

    static Response error(ErrorCode code, String message, List<FieldViolation> violations)
    {
        ObjectNode body = Call.JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code.httpStatus());
        error.put("message", message);
        error.put("status", code.statusName());
        ArrayNode details = error.putArray("details");
        if (!violations.isEmpty()) {
            ObjectNode badRequest = details.addObject();
            badRequest.put("@type", "type.googleapis.com/google.rpc.BadRequest");
            ArrayNode fieldViolations = badRequest.putArray("fieldViolations");
            for (FieldViolation violation : violations) {
                fieldViolations.addObject().put("field", violation.field()).put("description", violation.description());
            }
        }
        Response response = Response.json(code.httpStatus(), body);
        return code == ErrorCode.UNAUTHENTICATED ? response.withHeader("WWW-Authenticate", "Bearer realm=\"ferry\"") : response;
    }
}
