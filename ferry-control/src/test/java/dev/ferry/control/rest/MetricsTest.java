package dev.ferry.control.rest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.front.HmsMethods;
import dev.ferry.front.MethodClass;
import dev.ferry.front.Router;
import dev.ferry.front.ThriftFront;
import dev.ferry.front.ThriftFrontConfig;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.Replication;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.PrometheusText;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Metrics} as Prometheus reads it: real HMS calls through a Thrift front on a real engine, then the exposition
 * read with a strict parser. Families in base units, per-method calls, latencies and errors, labels bounded to the
 * known methods.
 */
class MetricsTest
{
    private static EmbeddedPostgresServer postgres;
    private static Engine engine;
    private static final WriteGate gate = new WriteGate(Duration.ofSeconds(30));

    @BeforeAll
    static void start()
            throws Exception
    {
        postgres = EmbeddedPostgresServer.start();
        EngineHost host = new EngineHost(EngineHome.of(Path.of(System.getProperty("ferry.engine.home"))));
        EngineSettings settings = new EngineSettings("metrics", postgres.createDatabase("hms_metrics"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD,
                Files.createTempDirectory("ferry-warehouse-"), EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of());
        host.initializeSchema(settings);
        engine = host.start(settings);
    }

    @AfterAll
    static void stop()
    {
        if (engine != null) {
            engine.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A migration in its streaming stage: 1.5 s behind, a 80 ms write pause last cutover, 3 MiB staged. */
    private static Metrics.Sources migrating()
    {
        Replication.Status status = new Replication.Status(Replication.Stage.STREAMING, List.of(), 10, 20, "c", "a", Optional.of(1500L),
                7, 42, Optional.empty(), Optional.empty(), 3L << 20);
        return new Metrics.Sources()
        {
            @Override
            public Optional<WriteGate> gate()
            {
                return Optional.of(gate);
            }

            @Override
            public boolean migrating()
            {
                return true;
            }

            @Override
            public Optional<Replication.Status> replication()
            {
                return Optional.of(status);
            }

            @Override
            public Optional<Long> lastWritePauseMillis()
            {
                return Optional.of(80L);
            }
        };
    }

    @Test
    void familiesAreInBaseUnitsWithJvmAndProcessMetrics()
    {
        Metrics metrics = new Metrics(migrating());
        metrics.observeRequest("/healthz", "GET", 200, 2_000_000);
        PrometheusText text = PrometheusText.parse(metrics.render());

        assertThat(text.families().keySet()).contains(
                "ferry_http_request_duration_seconds", "ferry_write_gate_holding", "ferry_write_gate_writes_waiting", "ferry_service_migrating",
                "ferry_replication_stage", "ferry_replication_backfill_rows_copied", "ferry_replication_backfill_rows_expected",
                "ferry_replication_lag_seconds", "ferry_replication_staging_bytes", "ferry_replication_events_applied_total",
                "ferry_replication_transactions_applied_total", "ferry_migration_write_pause_seconds",
                // The client's JVM and process metrics.
                "jvm_memory_used_bytes", "jvm_threads_current", "jvm_classes_currently_loaded", "process_cpu_seconds_total", "process_start_time_seconds");
        assertThat(text.family("ferry_http_request_duration_seconds").orElseThrow().type()).isEqualTo("histogram");
        assertThat(text.family("ferry_replication_events_applied_total").orElseThrow().type()).isEqualTo("counter");
        // No family in milliseconds, kilobytes or the like: Prometheus' base units only.
        assertThat(text.families().keySet()).noneMatch(name -> name.matches(".*_(milliseconds|millis|ms|microseconds|nanoseconds|minutes|kilobytes|megabytes|kb|mb)(_.*)?"));

        assertThat(text.value("ferry_replication_lag_seconds", Map.of())).contains(1.5);
        assertThat(text.value("ferry_migration_write_pause_seconds", Map.of())).contains(0.08);
        assertThat(text.value("ferry_replication_staging_bytes", Map.of())).contains((double) (3L << 20));
        assertThat(text.value("ferry_replication_stage", Map.of("stage", "STREAMING"))).contains(1.0);
        assertThat(text.value("ferry_replication_stage", Map.of("stage", "BACKFILL"))).contains(0.0);
        assertThat(text.value("ferry_replication_events_applied_total", Map.of())).contains(42.0);
        assertThat(text.value("ferry_service_migrating", Map.of())).contains(1.0);
        assertThat(text.value("ferry_write_gate_holding", Map.of())).contains(0.0);
        assertThat(text.value("ferry_http_request_duration_seconds_sum", Map.of("route", "/healthz", "method", "GET", "code", "200"))).contains(0.002);
    }

    @Test
    void countsCallsLatenciesAndErrorsPerThriftMethod()
            throws Exception
    {
        Metrics metrics = new Metrics(migrating());
        Router router = new Router(engine, gate, metrics);
        try (ThriftFront front = ThriftFront.start(ThriftFrontConfig.defaults().withHost("127.0.0.1").withPort(0), router);
                HmsClient client = HmsClient.connect("127.0.0.1", front.port())) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.api().get_all_databases()).contains("default");
            }
            client.api().get_database("default");
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> client.api().get_database("no_such_database")).isInstanceOf(NoSuchObjectException.class);
            }
            // A null table name fails inside the HMS handler: answered as an internal error.
            assertThatThrownBy(() -> client.api().get_partitions_pspec("default", null, -1)).isInstanceOf(TApplicationException.class);
        }
        PrometheusText text = PrometheusText.parse(metrics.render());

        assertThat(text.value("ferry_thrift_calls_total", Map.of("method", "get_all_databases", "class", "read"))).contains(3.0);
        assertThat(text.value("ferry_thrift_calls_total", Map.of("method", "get_database", "class", "read"))).contains(3.0);
        assertThat(text.value("ferry_thrift_call_duration_seconds_count", Map.of("method", "get_database"))).contains(3.0);
        assertThat(text.value("ferry_thrift_call_duration_seconds_sum", Map.of("method", "get_database")).orElseThrow()).isPositive();
        assertThat(text.value("ferry_thrift_call_errors_total", Map.of("method", "get_database", "kind", "exception"))).contains(2.0);
        assertThat(text.value("ferry_thrift_call_errors_total", Map.of("method", "get_database", "kind", "internal"))).contains(0.0);
        assertThat(text.value("ferry_thrift_call_errors_total", Map.of("method", "get_all_databases", "kind", "exception"))).contains(0.0);
        assertThat(text.value("ferry_thrift_call_errors_total", Map.of("method", "get_partitions_pspec", "kind", "internal"))).contains(1.0);
        // Only the methods called have series.
        assertThat(text.value("ferry_thrift_calls_total", Map.of("method", "create_table", "class", "write"))).isEmpty();
    }

    @Test
    void methodLabelsAreBoundedToKnownMethods()
    {
        Metrics metrics = new Metrics(migrating());
        metrics.called("get_table_req", MethodClass.READ, 1_000, null);
        for (int i = 0; i < 20; i++) {
            metrics.called("invented_method_" + i, MethodClass.WRITE, 1_000, new IllegalStateException());
            metrics.observeRequest("unknown", "BREW" + i, 404, 1_000);
        }
        metrics.observeRequest("unknown", "GET\"}x{", 404, 1_000);
        PrometheusText text = PrometheusText.parse(metrics.render());

        Set<String> thriftMethods = new HashSet<>();
        Set<String> httpMethods = new HashSet<>();
        text.families().values().forEach(family -> family.samples().forEach(sample -> {
            if (sample.name().startsWith("ferry_thrift_")) {
                thriftMethods.add(sample.labels().get("method"));
            }
            if (sample.name().startsWith("ferry_http_")) {
                httpMethods.add(sample.labels().get("method"));
            }
        }));
        assertThat(thriftMethods).containsExactlyInAnyOrder("get_table_req", Metrics.OTHER);
        assertThat(HmsMethods.names()).contains("get_table_req").doesNotContain(Metrics.OTHER);
        assertThat(httpMethods).containsExactly(Metrics.OTHER);
        assertThat(text.value("ferry_thrift_calls_total", Map.of("method", Metrics.OTHER, "class", Metrics.OTHER))).contains(20.0);
        assertThat(text.value("ferry_thrift_call_errors_total", Map.of("method", Metrics.OTHER, "kind", "internal"))).contains(20.0);
        assertThat(text.value("ferry_http_request_duration_seconds_count", Map.of("route", "unknown", "method", Metrics.OTHER, "code", "404"))).contains(21.0);
    }

    /** Two servers in one JVM report only themselves. */
    @Test
    void eachMetricsHasItsOwnRegistry()
    {
        Metrics first = new Metrics(migrating());
        Metrics second = new Metrics(migrating());
        first.called("get_all_databases", MethodClass.READ, 1_000, null);
        assertThat(PrometheusText.parse(first.render()).value("ferry_thrift_calls_total", Map.of("method", "get_all_databases", "class", "read"))).contains(1.0);
        assertThat(PrometheusText.parse(second.render()).value("ferry_thrift_calls_total", Map.of("method", "get_all_databases", "class", "read"))).isEmpty();
    }
}
