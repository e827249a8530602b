package dev.ferry.control.rest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.ferry.control.ControlPlane;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.front.CallObserver;
import dev.ferry.front.HmsMethods;
import dev.ferry.front.MethodClass;
import dev.ferry.front.Router;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.Replication;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import org.apache.thrift.TException;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

/**
 * {@code /metrics} in the Prometheus text format (version 0.0.4), from the Prometheus Java client: REST request
 * latency per route, HMS Thrift calls, latency and errors per method, the write gate, the service and replication,
 * and the client's JVM and process metrics. The registry is this object's own, not the client's global one: several
 * servers may run in one JVM (tests do), and each must report only itself. Every label is bounded whatever clients
 * send, since {@code /metrics} needs no token: a route is a template of the route table, an HTTP method one that
 * routes take, a Thrift method one {@link HmsMethods} classifies; anything else is {@code other}. Durations are in
 * seconds, sizes in bytes.
 */
public final class Metrics
        implements CallObserver
{
    /** The label value of an HTTP or Thrift method outside the known ones. */
    public static final String OTHER = "other";

    private static final double[] HTTP_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final double[] THRIFT_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    /** The HTTP methods of the route table (Route takes no others); any other method is counted as {@code other}. */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "DELETE");

    /** What the service, gate and replication families read at each scrape. */
    public interface Sources
    {
        /** The front's write gate, once the front runs. */
        Optional<WriteGate> gate();

        /** Whether the service serves from a migration's source. */
        boolean migrating();

        /** The running migration's replication, if any. */
        Optional<Replication.Status> replication();

        /** The write pause of the last cutover, if there was one. */
        Optional<Long> lastWritePauseMillis();

        /** The sources of a control plane. */
        static Sources of(ControlPlane controlPlane)
        {
            requireNonNull(controlPlane, "controlPlane is null");
            return new Sources()
            {
                @Override
                public Optional<WriteGate> gate()
                {
                    return controlPlane.router().map(Router::gate);
                }

                @Override
                public boolean migrating()
                {
                    return controlPlane.service().state().name().equals("MIGRATING");
                }

                @Override
                public Optional<Replication.Status> replication()
                {
                    return controlPlane.replicationStatus();
                }

                @Override
                public Optional<Long> lastWritePauseMillis()
                {
                    return controlPlane.executions().stream().map(MigrationExecution::writePauseMillis).flatMap(Optional::stream).reduce((first, second) -> second);
                }
            };
        }
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
    private final Histogram requests;
    private final Counter thriftCalls;
    private final Histogram thriftLatency;
    private final Counter thriftErrors;
    /** One entry per classified method and one for {@code other}; built once and only read, so no lock. */
    private final Map<String, ThriftSeries> thriftSeries;
    private final ThriftSeries otherThriftMethod;

    /** The series of one Thrift method, made on its first call so that /metrics lists only methods clients use. */
    private final class ThriftSeries
    {
        private final String method;
        private final String methodClass;
        private volatile Handles handles;

        ThriftSeries(String method, String methodClass)
        {
            this.method = method;
            this.methodClass = methodClass;
        }

        Handles handles()
        {
            Handles current = handles;
            if (current == null) {
                // The client makes a label set's data point once, whoever asks first; a race only asks twice.
                current = new Handles(thriftCalls.labelValues(method, methodClass), thriftLatency.labelValues(method),
                        thriftErrors.labelValues(method, "exception"), thriftErrors.labelValues(method, "internal"));
                handles = current;
            }
            return current;
        }
    }

    private record Handles(CounterDataPoint calls, DistributionDataPoint latency, CounterDataPoint exceptions, CounterDataPoint internalErrors) {}

    public Metrics(Sources sources)
    {
        requireNonNull(sources, "sources is null");
        requests = Histogram.builder()
                .name("ferry_http_request_duration_seconds")
                .help("REST request latency per route, method and status.")
                .unit(Unit.SECONDS)
                .labelNames("route", "method", "code")
                .classicOnly()
                .classicUpperBounds(HTTP_BUCKETS)
                .withoutExemplars()
                .register(registry);
        thriftCalls = Counter.builder()
                .name("ferry_thrift_calls")
                .help("HMS Thrift calls served, per method and its class (read, write, transaction_read, transaction_write, admin).")
                .labelNames("method", "class")
                .withoutExemplars()
                .register(registry);
        thriftLatency = Histogram.builder()
                .name("ferry_thrift_call_duration_seconds")
                .help("HMS Thrift call latency per method, including any time the write gate held the call.")
                .unit(Unit.SECONDS)
                .labelNames("method")
                .classicOnly()
                .classicUpperBounds(THRIFT_BUCKETS)
                .withoutExemplars()
                .register(registry);
        thriftErrors = Counter.builder()
                .name("ferry_thrift_call_errors")
                .help("HMS Thrift calls that failed, per method and kind: exception (a Thrift exception the client gets, such as "
                        + "NoSuchObjectException or MetaException) or internal (anything else, answered as an internal error).")
                .labelNames("method", "kind")
                .withoutExemplars()
                .register(registry);
        Map<String, ThriftSeries> series = new HashMap<>();
        for (String method : HmsMethods.names()) {
            series.put(method, new ThriftSeries(method, HmsMethods.classify(method).name().toLowerCase(Locale.ROOT)));
        }
        thriftSeries = Map.copyOf(series);
        otherThriftMethod = new ThriftSeries(OTHER, OTHER);

        GaugeWithCallback.builder()
                .name("ferry_write_gate_holding")
                .help("1 while the write gate holds writes (cutover), else 0.")
                .callback(callback -> sources.gate().ifPresent(gate -> callback.call(gate.state().name().equals("OPEN") ? 0 : 1)))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_write_gate_writes_waiting")
                .help("Writes held by the gate now.")
                .callback(callback -> sources.gate().ifPresent(gate -> callback.call(gate.writesWaiting())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_service_migrating")
                .help("1 while the service is MIGRATING (serving from a source), else 0.")
                .callback(callback -> callback.call(sources.migrating() ? 1 : 0))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_replication_stage")
                .help("Replication's current stage (1 for the stage it is in).")
                .labelNames("stage")
                .callback(callback -> sources.replication().ifPresent(status -> {
                    for (Replication.Stage stage : Replication.Stage.values()) {
                        callback.call(stage == status.stage() ? 1 : 0, stage.name());
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_replication_backfill_rows_copied")
                .help("Rows the backfill has copied.")
                .callback(callback -> sources.replication().ifPresent(status -> callback.call(status.rowsCopied())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_replication_backfill_rows_expected")
                .help("Rows the backfill copies in all (estimated until each table is done; not a counter, so not _total).")
                .callback(callback -> sources.replication().ifPresent(status -> callback.call(status.rowsTotal())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_replication_lag_seconds")
                .help("Age of the newest applied source transaction's changes when applied.")
                .unit(Unit.SECONDS)
                .callback(callback -> sources.replication().flatMap(Replication.Status::lagMillis).ifPresent(lag -> callback.call(lag / 1e3)))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_replication_staging_bytes")
                .help("Size of the migration's staging log.")
                .unit(Unit.BYTES)
                .callback(callback -> sources.replication().ifPresent(status -> callback.call(status.stagingBytes())))
                .register(registry);
        CounterWithCallback.builder()
                .name("ferry_replication_events_applied")
                .help("Row changes applied to the own database.")
                .callback(callback -> sources.replication().ifPresent(status -> callback.call(status.eventsApplied())))
                .register(registry);
        CounterWithCallback.builder()
                .name("ferry_replication_transactions_applied")
                .help("Source transactions applied to the own database.")
                .callback(callback -> sources.replication().ifPresent(status -> callback.call(status.transactionsApplied())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("ferry_migration_write_pause_seconds")
                .help("Write pause of the last cutover.")
                .unit(Unit.SECONDS)
                .callback(callback -> sources.lastWritePauseMillis().ifPresent(pause -> callback.call(pause / 1e3)))
                .register(registry);

        JvmMetrics.builder().register(registry);
    }

    /** The metrics of a control plane's service. */
    public static Metrics of(ControlPlane controlPlane)
    {
        return new Metrics(Sources.of(controlPlane));
    }

    /**
     * Records one request's latency. The labels are bounded whatever a client sends: {@code route} is a template of
     * the route table or {@code unknown} (the caller's job), {@code method} one of the methods routes take or
     * {@code other}, {@code code} the HTTP status Ferry answered; the client escapes values all the same.
     */
    public void observeRequest(String route, String method, int status, long nanos)
    {
        requests.labelValues(route, KNOWN_METHODS.contains(method) ? method : OTHER, Integer.toString(status)).observe(nanos / 1e9);
    }

    /** Records one HMS call: a map lookup and three or four adds, no lock. */
    @Override
    public void called(String method, MethodClass methodClass, long nanos, Throwable failure)
    {
        ThriftSeries series = thriftSeries.getOrDefault(method, otherThriftMethod);
        Handles handles = series.handles();
        handles.calls().inc();
        handles.latency().observe(nanos / 1e9);
        if (failure != null) {
            (failure instanceof TException ? handles.exceptions() : handles.internalErrors()).inc();
        }
    }

    /** The content type of {@link #render()}. */
    public String contentType()
    {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** Every family in the Prometheus text format. */
    public String render()
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            writer.write(out, registry.scrape());
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(UTF_8);
    }
}
