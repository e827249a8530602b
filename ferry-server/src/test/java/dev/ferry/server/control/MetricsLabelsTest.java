package dev.ferry.server.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import dev.ferry.front.HmsMethods;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.PrometheusText;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code /metrics} needs no token, so its labels must not grow with what clients send: HTTP methods a client invents
 * (one with a double quote too) are counted as {@code other}, unknown paths as route {@code unknown}, so Ferry's series
 * and the set of families stay the same, and the whole exposition stays valid in the text format (read strictly).
 */
class MetricsLabelsTest
{
    private static final List<String> PATHS = List.of("/healthz", "/metrics", "/v1/projects/ferry/locations/local/services/metastore", "/nothing/here", "/v1/nothing");

    @TempDir
    static Path directory;

    private static FerryFixture ferry;

    @BeforeAll
    static void start()
    {
        ferry = FerryFixture.start(directory.resolve("data"));
    }

    @AfterAll
    static void stop()
    {
        if (ferry != null) {
            ferry.close();
        }
    }

    @Test
    void inventedMethodsLeaveTheSeriesAsTheyAre()
            throws IOException
    {
        // Once each path has seen an invented method, no other invented method adds a series.
        for (String path : PATHS) {
            request("BREW", path);
            request("GET", path);
        }
        Set<String> before = series();

        Random random = new Random(3);
        for (int i = 0; i < 40; i++) {
            StringBuilder method = new StringBuilder();
            for (int length = 1 + random.nextInt(12); length > 0; length--) {
                method.append((char) ('A' + random.nextInt(26)));
            }
            if (i % 4 == 0) {
                method.append("\"}x{");
            }
            request(method.toString(), PATHS.get(i % PATHS.size()));
        }
        Set<String> after = series();

        assertThat(after).isEqualTo(before);
        assertThat(after).anyMatch(series -> series.startsWith("ferry_http_request_duration_seconds_count") && series.contains("method=other"));
        assertThat(after).noneMatch(series -> series.contains("BREW"));
    }

    /** HMS calls through Ferry's Thrift front show on /metrics per method, and every method label is a known one. */
    @Test
    void thriftCallsAreCountedPerMethod()
            throws Exception
    {
        PrometheusText before = PrometheusText.parse(ferry.rest().get("/metrics", null).text());
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            assertThat(client.api().get_all_databases()).contains("default");
            assertThat(client.api().get_all_databases()).contains("default");
            assertThatThrownBy(() -> client.api().get_database("no_such_database")).isInstanceOf(NoSuchObjectException.class);
        }
        PrometheusText after = PrometheusText.parse(ferry.rest().get("/metrics", null).text());

        Map<String, String> allDatabases = Map.of("method", "get_all_databases", "class", "read");
        assertThat(after.value("ferry_thrift_calls_total", allDatabases).orElseThrow() - before.value("ferry_thrift_calls_total", allDatabases).orElse(0.0)).isEqualTo(2.0);
        Map<String, String> databaseErrors = Map.of("method", "get_database", "kind", "exception");
        assertThat(after.value("ferry_thrift_call_errors_total", databaseErrors).orElseThrow() - before.value("ferry_thrift_call_errors_total", databaseErrors).orElse(0.0)).isEqualTo(1.0);
        assertThat(after.value("ferry_thrift_call_duration_seconds_count", Map.of("method", "get_database")).orElseThrow()).isGreaterThanOrEqualTo(1.0);
        after.families().values().stream().filter(family -> family.name().startsWith("ferry_thrift_")).flatMap(family -> family.samples().stream())
                .forEach(sample -> assertThat(sample.labels().get("method")).as(sample.series()).isIn(HmsMethods.names().toArray()));
    }

    /**
     * Ferry's series of /metrics (name and labels) and the names of all families, the JVM's too; the JVM's series
     * are left out, as a collection may add a memory pool's allocation series at any time. Reading it strictly
     * fails on any line Prometheus would refuse.
     */
    private static Set<String> series()
    {
        PrometheusText text = PrometheusText.parse(ferry.rest().get("/metrics", null).text());
        Set<String> series = new TreeSet<>(text.families().keySet());
        text.series().stream().filter(name -> name.startsWith("ferry_")).forEach(series::add);
        return series;
    }

    /** One request with any method, on a socket of its own, as a client that ignores the HTTP grammar sends it. */
    private static void request(String method, String path)
            throws IOException
    {
        try (Socket socket = new Socket("localhost", ferry.server().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".formatted(method, path).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            in.readAllBytes();
        }
    }
}
