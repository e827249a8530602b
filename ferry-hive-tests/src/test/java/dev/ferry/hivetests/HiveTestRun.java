package dev.ferry.hivetests;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

import static java.util.Objects.requireNonNull;

/** Runs one of Hive's JUnit 4 test classes, parameterized over the targets, and keeps the outcome of every test. */
final class HiveTestRun
{
    /** A Parameterized test's name: {@code method[target]}. */
    private static final Pattern PARAMETERIZED = Pattern.compile("(.+)\\[(.+)]");
    static final String WHOLE_CLASS = "(class)";

    enum Outcome
    {
        PASSED,
        FAILED,
        SKIPPED,
    }

    /**
     * @param method the test method, or {@value #WHOLE_CLASS} for a failure outside any test (a class rule, a
     *     {@code @BeforeClass}), which counts for every target
     */
    record Result(String testClass, String method, String target, Outcome outcome, String message, long millis)
    {
        Result
        {
            requireNonNull(testClass, "testClass is null");
            requireNonNull(method, "method is null");
            requireNonNull(target, "target is null");
            requireNonNull(outcome, "outcome is null");
            requireNonNull(message, "message is null");
        }

        Result withMillis(long elapsed)
        {
            return new Result(testClass, method, target, outcome, message, elapsed);
        }
    }

    private HiveTestRun() {}

    static List<Result> run(Class<?> testClass)
    {
        return run(testClass, Request.aClass(testClass));
    }

    /** One test method of the class (every parameter of a parameterized one). */
    static List<Result> run(Class<?> testClass, String method)
    {
        return run(testClass, Request.aClass(testClass).filterWith(new Filter()
        {
            @Override
            public boolean shouldRun(Description description)
            {
                if (description.isSuite()) {
                    return description.getChildren().stream().anyMatch(this::shouldRun);
                }
                String name = description.getMethodName();
                return name != null && (name.equals(method) || name.startsWith(method + "["));
            }

            @Override
            public String describe()
            {
                return "method " + method;
            }
        }));
    }

    private static List<Result> run(Class<?> testClass, Request request)
    {
        Map<Description, Result> results = Collections.synchronizedMap(new LinkedHashMap<>());
        Map<Description, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
        JUnitCore core = new JUnitCore();
        core.addListener(new RunListener()
        {
            @Override
            public void testStarted(Description description)
            {
                started.put(description, System.nanoTime());
                results.put(description, result(testClass, description, Outcome.PASSED, ""));
            }

            @Override
            public void testFinished(Description description)
            {
                Long start = started.get(description);
                Result result = results.get(description);
                if (start != null && result != null) {
                    results.put(description, result.withMillis((System.nanoTime() - start) / 1_000_000));
                }
            }

            @Override
            public void testFailure(Failure failure)
            {
                results.put(failure.getDescription(), result(testClass, failure.getDescription(), Outcome.FAILED, describe(failure.getException())));
            }

            @Override
            public void testAssumptionFailure(Failure failure)
            {
                results.put(failure.getDescription(), result(testClass, failure.getDescription(), Outcome.SKIPPED, describe(failure.getException())));
            }

            @Override
            public void testIgnored(Description description)
            {
                results.put(description, result(testClass, description, Outcome.SKIPPED, "@Ignore in Hive's test"));
            }
        });
        core.run(request);
        return new ArrayList<>(results.values());
    }

    private static Result result(Class<?> testClass, Description description, Outcome outcome, String message)
    {
        String name = description.getMethodName();
        if (name == null) {
            return new Result(testClass.getSimpleName(), WHOLE_CLASS, "*", outcome, message, 0);
        }
        Matcher parameterized = PARAMETERIZED.matcher(name);
        if (!parameterized.matches()) {
            return new Result(testClass.getSimpleName(), name, "*", outcome, message, 0);
        }
        return new Result(testClass.getSimpleName(), parameterized.group(1), parameterized.group(2), outcome, message, 0);
    }

    static String describe(Throwable throwable)
    {
        StringBuilder text = new StringBuilder(throwable.toString());
        // Where in Hive's test it failed: a bare assertTrue says nothing else.
        for (StackTraceElement frame : throwable.getStackTrace()) {
            if (frame.getClassName().startsWith("org.apache.hadoop.hive.") && frame.getFileName() != null && frame.getFileName().startsWith("Test")) {
                text.append(" at ").append(frame.getFileName()).append(':').append(frame.getLineNumber());
                break;
            }
        }
        Throwable cause = throwable.getCause();
        for (int depth = 0; cause != null && depth < 4; depth++, cause = cause.getCause()) {
            text.append(" <- ").append(cause);
        }
        String result = text.toString().replace('\n', ' ');
        return result.length() > 1500 ? result.substring(0, 1500) + "..." : result;
    }
}
