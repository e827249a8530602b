package dev.ferry.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FerryMainDemoTest
{
    @Test
    void demoWithoutTheDemoModuleOnTheClasspathSaysSoInOneLine()
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = FerryMain.run(new String[] {"demo"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(exit).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("ferry: 'demo' is not in this distribution (no dev.ferry.demo.DemoCommand on the classpath; build it with the ferry-demo module)%n".formatted());
    }

    @Test
    void usageListsTheDemo()
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FerryMain.run(new String[] {"help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("ferry demo [--databases N]", "demo     migrate a generated metastore");
    }
}
