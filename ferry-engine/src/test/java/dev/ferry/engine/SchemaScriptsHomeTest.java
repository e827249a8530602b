package dev.ferry.engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaScriptsHomeTest
{
    @Test
    void theCopyHasHivesScriptsWithoutThePublicSearchPathAndCloseDeletesIt()
            throws Exception
    {
        EngineHome home = TestEngines.host().home();
        Path path;
        try (SchemaScriptsHome scripts = SchemaScriptsHome.of(home)) {
            path = scripts.path();
            Path upgrade = path.resolve("scripts/metastore/upgrade");
            try (Stream<Path> files = Files.walk(upgrade)) {
                List<Path> postgres = files.filter(file -> file.getFileName().toString().matches("hive-schema-.*\\.postgres\\.sql")).toList();
                assertThat(postgres).isNotEmpty();
                for (Path file : postgres) {
                    assertThat(Files.readString(file)).doesNotContainPattern("(?im)^\\s*SET\\s+search_path\\s*=\\s*public");
                }
            }
        }
        assertThat(path).doesNotExist();
    }

    /**
     * A process stopped (SIGTERM) while the schema tool runs ends with its shutdown hooks, and the thread that runs
     * the tool never closes the copy: the copy goes anyway.
     */
    @Test
    void aProcessStoppedWhileTheCopyIsOpenLeavesNothingInItsTemporaryDirectory(@TempDir Path temporary)
            throws Exception
    {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + temporary, "-cp", System.getProperty("java.class.path"), HoldsACopyOpen.class.getName(),
                TestEngines.host().home().path().toString())
                .redirectErrorStream(true)
                .start();
        try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line = output.readLine();
            while (line != null && !line.startsWith("open ")) {
                line = output.readLine();
            }
            assertThat(line).as("the child's line naming its copy").isNotNull();
            Path copy = Path.of(line.substring("open ".length()));
            assertThat(copy).exists().startsWith(temporary);

            process.destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(copy).doesNotExist();
        }
        finally {
            process.destroyForcibly();
        }
    }

    /** Opens a copy, names it, and waits to be stopped. */
    public static final class HoldsACopyOpen
    {
        public static void main(String[] arguments)
                throws Exception
        {
            SchemaScriptsHome scripts = SchemaScriptsHome.of(EngineHome.of(Path.of(arguments[0])));
            System.out.println("open " + scripts.path());
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            scripts.close();
        }
    }
}
