package dev.ferry.control.rest;

import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/** {@code /healthz}, {@code /readyz} and {@code /metrics}: for load balancers, orchestrators and Prometheus; no token. */
public final class SystemEndpoints
{
    /** What {@code /readyz} reports: ready or not, and a one-line reason. */
    public record Readiness(boolean ready, String detail) {}

    private final Metrics metrics;
    private final Supplier<Readiness> readiness;

    public SystemEndpoints(Metrics metrics, Supplier<Readiness> readiness)
    {
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
    }

    Response healthz(Call call)
    {
        return Response.json(200, Call.JSON.createObjectNode().put("status", "ok"));
    }

    Response readyz(Call call)
    {
        Readiness state = readiness.get();
        return Response.json(state.ready() ? 200 : 503, Call.JSON.createObjectNode().put("status", state.ready() ? "ready" : "not ready").put("detail", state.detail()));
    }

    Response metrics(Call call)
    {
        return Response.text(200, metrics.contentType(), metrics.render());
    }
}
