package dev.ferry.testkit;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The strict reader takes valid text-format output and refuses what Prometheus would refuse or misread. */
class PrometheusTextTest
{
    private static final String VALID = """
            # HELP requests_seconds Latency.
            # TYPE requests_seconds histogram
            requests_seconds_bucket{route="/a",le="0.1"} 1
            requests_seconds_bucket{route="/a",le="+Inf"} 2
            requests_seconds_count{route="/a"} 2
            requests_seconds_sum{route="/a"} 0.35
            # TYPE calls_total counter
            calls_total{method="get \\"x\\"\\\\\\n"} 3.0
            # TYPE up gauge
            up 1 1700000000000
            """;

    @Test
    void readsValidOutput()
    {
        PrometheusText text = PrometheusText.parse(VALID);
        assertThat(text.families().keySet()).containsExactlyInAnyOrder("requests_seconds", "calls_total", "up");
        assertThat(text.family("requests_seconds").orElseThrow().help()).isEqualTo("Latency.");
        assertThat(text.value("requests_seconds_count", Map.of("route", "/a"))).contains(2.0);
        assertThat(text.value("calls_total", Map.of("method", "get \"x\"\\\n"))).contains(3.0);
        assertThat(text.value("up", Map.of())).contains(1.0);
        assertThat(text.series()).hasSize(6);
    }

    @Test
    void refusesBrokenOutput()
    {
        assertRefused("# TYPE up gauge\nup{a=\"b\"c=\"d\"} 1\n");
        assertRefused("# TYPE up gauge\nup{a=\"b\\x\"} 1\n");
        assertRefused("# TYPE up gauge\nup{a=\"b} 1\n");
        assertRefused("# TYPE up gauge\nup{a=\"b\",a=\"c\"} 1\n");
        assertRefused("# TYPE up gauge\nup one\n");
        assertRefused("# TYPE up gauge\nup 1\nup 2\n");
        assertRefused("# TYPE up gauge\nup-time 1\n");
        assertRefused("up 1\n");
        assertRefused("# TYPE up gauge\ndown 1\n");
        assertRefused("# TYPE up gauge\n# TYPE up gauge\nup 1\n");
        assertRefused("# TYPE up gauge\nup 1");
        assertRefused("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n");
        assertRefused("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 2\nh_sum 1\n");
        assertRefused("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\nh_sum 1\n");
        assertRefused("# TYPE h histogram\nh_bucket 1\nh_count 1\nh_sum 1\n");
    }

    private static void assertRefused(String text)
    {
        assertThatThrownBy(() -> PrometheusText.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
    }
}
