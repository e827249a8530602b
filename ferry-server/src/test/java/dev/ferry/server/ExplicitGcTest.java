package dev.ferry.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Whether Ferry sees that {@code System.gc()} would stop its process, in JVMs started with each set of options. */
class ExplicitGcTest
{
    @Test
    void warnsUnlessSystemGcIsConcurrentOrIgnored()
            throws Exception
    {
        // The test JVMs run with the option bin/ferry gives (the root pom's ferry.test.jvm).
        assertThat(ExplicitGc.stopsTheProcess()).isEmpty();

        assertThat(probe()).contains("System.gc() stops this process").contains("-XX:+ExplicitGCInvokesConcurrent");
        assertThat(probe("-XX:+ExplicitGCInvokesConcurrent")).isEqualTo("none");
        assertThat(probe("-XX:+DisableExplicitGC")).isEqualTo("none");
        // The serial collector has no concurrent cycle: the option changes nothing there.
        assertThat(probe("-XX:+UseSerialGC", "-XX:+ExplicitGCInvokesConcurrent")).contains("System.gc() stops this process");
        assertThat(probe("-XX:+UseSerialGC", "-XX:+DisableExplicitGC")).isEqualTo("none");
        // ZGC collects concurrently whatever the options.
        assertThat(probe("-XX:+UseZGC")).isEqualTo("none");
    }

    /** What {@link ExplicitGc#stopsTheProcess()} says in a new JVM with {@code options}. */
    private static String probe(String... options)
            throws IOException, InterruptedException
    {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1"));
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    public static final class Probe
    {
        public static void main(String[] arguments)
        {
            System.out.println(ExplicitGc.stopsTheProcess().orElse("none"));
        }
    }
}
