package dev.ferry.control.rest;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

import dev.ferry.control.ControlPlane;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.front.MethodClass;
import dev.ferry.front.Router;
import dev.ferry.replication.Replication;

/**
 * {@code /metrics} in the Prometheus text format (version 0.0.4): request latency per route, Thrift calls per
 * method class, the write gate, the service and replication. Written by hand: a few families do not need a
 * metrics library.
 */
public final class Metrics
{
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** The HTTP methods of the route table (Route takes no others); any other method is counted as {@code other}. */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "DELETE");

    private final Map<String, Histogram> requests = new ConcurrentHashMap<>();

    private static final class Histogram
    {
        final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length);
        final LongAdder count = new LongAdder();
        final DoubleAdder sum = new DoubleAdder();

        void observe(double seconds)
        {
            for (int i = 0; i < BUCKETS.length; i++) {
                if (seconds <= BUCKETS[i]) {
                    buckets.incrementAndGet(i);
                }
            }
            count.increment();
            sum.add(seconds);
        }
    }

    /**
     * Records one request's latency. The labels are bounded whatever a client sends: {@code route} is a template of
     * the route table or {@code unknown} (the caller's job), {@code method} one of the methods routes take or
     * {@code other}, {@code code} the HTTP status Ferry answered; values are escaped all the same.
     */
    public void observeRequest(String route, String method, int status, long nanos)
    {
        String key = "route=\"%s\",method=\"%s\",code=\"%s\"".formatted(labelValue(route), labelValue(KNOWN_METHODS.contains(method) ? method : "other"), status);
        requests.computeIfAbsent(key, ignored -> new Histogram()).observe(nanos / 1e9);
    }

    /** A label value as the text format writes it: backslash, double quote and line feed escaped. */
    static String labelValue(String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    public String render(ControlPlane controlPlane)
    {
        StringBuilder out = new StringBuilder();
        out.append("# HELP ferry_http_request_duration_seconds REST request latency per route, method and status.\n");
        out.append("# TYPE ferry_http_request_duration_seconds histogram\n");
        for (Map.Entry<String, Histogram> entry : new TreeMap<>(requests).entrySet()) {
            Histogram histogram = entry.getValue();
            for (int i = 0; i < BUCKETS.length; i++) {
                out.append("ferry_http_request_duration_seconds_bucket{%s,le=\"%s\"} %s\n".formatted(entry.getKey(), BUCKETS[i], histogram.buckets.get(i)));
            }
            out.append("ferry_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %s\n".formatted(entry.getKey(), histogram.count.sum()));
            out.append("ferry_http_request_duration_seconds_sum{%s} %s\n".formatted(entry.getKey(), histogram.sum.sum()));
            out.append("ferry_http_request_duration_seconds_count{%s} %s\n".formatted(entry.getKey(), histogram.count.sum()));
        }

        Optional<Router> router = controlPlane.router();
        out.append("# HELP ferry_thrift_calls_total HMS Thrift calls served, per method class.\n");
        out.append("# TYPE ferry_thrift_calls_total counter\n");
        router.ifPresent(current -> {
            for (MethodClass methodClass : MethodClass.values()) {
                out.append("ferry_thrift_calls_total{class=\"%s\"} %s\n".formatted(methodClass.name().toLowerCase(Locale.ROOT), current.calls(methodClass)));
            }
        });
        out.append("# HELP ferry_write_gate_holding 1 while the write gate holds writes (cutover), else 0.\n");
        out.append("# TYPE ferry_write_gate_holding gauge\n");
        router.ifPresent(current -> out.append("ferry_write_gate_holding %s\n".formatted(current.gate().state().name().equals("OPEN") ? 0 : 1)));
        out.append("# HELP ferry_write_gate_writes_waiting Writes held by the gate now.\n");
        out.append("# TYPE ferry_write_gate_writes_waiting gauge\n");
        router.ifPresent(current -> out.append("ferry_write_gate_writes_waiting %s\n".formatted(current.gate().writesWaiting())));

        out.append("# HELP ferry_service_migrating 1 while the service is MIGRATING (serving from a source), else 0.\n");
        out.append("# TYPE ferry_service_migrating gauge\n");
        out.append("ferry_service_migrating %s\n".formatted(controlPlane.service().state().name().equals("MIGRATING") ? 1 : 0));

        Optional<Replication.Status> status = controlPlane.replicationStatus();
        out.append("# HELP ferry_replication_stage Replication's current stage (1 for the stage it is in).\n");
        out.append("# TYPE ferry_replication_stage gauge\n");
        status.ifPresent(current -> {
            for (Replication.Stage stage : Replication.Stage.values()) {
                out.append("ferry_replication_stage{stage=\"%s\"} %s\n".formatted(stage.name(), stage == current.stage() ? 1 : 0));
            }
        });
        out.append("# HELP ferry_replication_backfill_rows_copied Rows the backfill has copied.\n");
        out.append("# TYPE ferry_replication_backfill_rows_copied gauge\n");
        status.ifPresent(current -> out.append("ferry_replication_backfill_rows_copied %s\n".formatted(current.rowsCopied())));
        out.append("# HELP ferry_replication_backfill_rows_total Rows the backfill copies in all (estimated until each table is done).\n");
        out.append("# TYPE ferry_replication_backfill_rows_total gauge\n");
        status.ifPresent(current -> out.append("ferry_replication_backfill_rows_total %s\n".formatted(current.rowsTotal())));
        out.append("# HELP ferry_replication_lag_milliseconds Age of the newest applied source transaction's changes when applied.\n");
        out.append("# TYPE ferry_replication_lag_milliseconds gauge\n");
        status.flatMap(Replication.Status::lagMillis).ifPresent(lag -> out.append("ferry_replication_lag_milliseconds %s\n".formatted(lag)));
        out.append("# HELP ferry_replication_events_applied_total Row changes applied to the own database.\n");
        out.append("# TYPE ferry_replication_events_applied_total counter\n");
        status.ifPresent(current -> out.append("ferry_replication_events_applied_total %s\n".formatted(current.eventsApplied())));
        out.append("# HELP ferry_replication_transactions_applied_total Source transactions applied to the own database.\n");
        out.append("# TYPE ferry_replication_transactions_applied_total counter\n");
        status.ifPresent(current -> out.append("ferry_replication_transactions_applied_total %s\n".formatted(current.transactionsApplied())));
        out.append("# HELP ferry_migration_write_pause_milliseconds Write pause of the last cutover.\n");
        out.append("# TYPE ferry_migration_write_pause_milliseconds gauge\n");
        controlPlane.executions().stream().map(MigrationExecution::writePauseMillis).flatMap(Optional::stream).reduce((first, second) -> second)
                .ifPresent(pause -> out.append("ferry_migration_write_pause_milliseconds %s\n".formatted(pause)));
        return out.toString();
    }
}
