package dev.ferry.hivetests;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.hivetests.HiveTestRun.Outcome;
import dev.ferry.hivetests.HiveTestRun.Result;

/**
 * Runs Hive's test classes against one metastore, in a JVM of its own: Hive's tests keep their clients and
 * services in static fields, so two targets can only run at once in two JVMs. Writes one line per test to a file,
 * which {@link HiveMetastoreTestsIT} reads back. Arguments: the target's name, kind, database, Thrift port and
 * warehouse directory, the output file, then the test classes, or single tests as {@code Class#method}.
 */
public final class HiveTestsMain
{
    private HiveTestsMain() {}

    public static void main(String[] arguments)
            throws Exception
    {
        Target target = new Target(arguments[0], Target.Kind.valueOf(arguments[1]), Target.Database.valueOf(arguments[2]),
                Integer.parseInt(arguments[3]), Path.of(arguments[4]));
        Path output = Path.of(arguments[5]);
        Targets.use(List.of(target));
        try (BufferedWriter writer = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            for (int i = 6; i < arguments.length; i++) {
                String[] test = arguments[i].split("#", 2);
                Class<?> testClass = Class.forName(test[0]);
                for (Result result : test.length == 2 ? HiveTestRun.run(testClass, test[1]) : HiveTestRun.run(testClass)) {
                    writer.write(String.join("\t", result.testClass(), result.method(), result.target(), result.outcome().name(),
                            Long.toString(result.millis()), result.message().replace('\t', ' ').replace('\n', ' ')));
                    writer.newLine();
                }
                writer.flush();
            }
        }
        System.exit(0);
    }

    static List<Result> read(Path output)
            throws java.io.IOException
    {
        List<Result> results = new ArrayList<>();
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
            String[] fields = line.split("\t", 6);
            results.add(new Result(fields[0], fields[1], fields[2], Outcome.valueOf(fields[3]), fields.length > 5 ? fields[5] : "", Long.parseLong(fields[4])));
        }
        return results;
    }
}
