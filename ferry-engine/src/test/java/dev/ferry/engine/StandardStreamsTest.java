package dev.ferry.engine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.ferry.engine.spi.StandardStreams;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two captures of standard output at once (two engines' schema tools): each gets its own output, and the JVM's
 * standard output is the one it had afterwards, not a closed capture (before, the second restored the first's).
 */
class StandardStreamsTest
{
    @Test
    void overlappingCapturesRestoreTheJvmsOwnStreams()
            throws Exception
    {
        PrintStream before = System.out;
        PrintStream beforeErr = System.err;
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        CountDownLatch firstInside = new CountDownLatch(1);
        CompletableFuture<Integer> one = CompletableFuture.supplyAsync(() -> StandardStreams.capturedInto(first, () -> {
            System.out.println("first tool");
            firstInside.countDown();
            try {
                // The second capture starts meanwhile; the first ends before it.
                Thread.sleep(300);
            }
            catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 1;
        }));
        assertThat(firstInside.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Integer> two = CompletableFuture.supplyAsync(() -> StandardStreams.capturedInto(second, () -> {
            System.out.println("second tool");
            try {
                Thread.sleep(600);
            }
            catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 2;
        }));
        assertThat(one.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(two.get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(System.out).isSameAs(before);
        assertThat(System.err).isSameAs(beforeErr);
        assertThat(first.toString(StandardCharsets.UTF_8)).isEqualTo("first tool" + System.lineSeparator());
        assertThat(second.toString(StandardCharsets.UTF_8)).isEqualTo("second tool" + System.lineSeparator());
    }

    /**
     * What other threads print while a tool's output is captured reaches the JVM's standard output: a benchmark's
     * result line, printed while a standby engine's schema tool ran, went into that tool's capture and was lost.
     */
    @Test
    void onlyTheToolsThreadIsCaptured()
            throws Exception
    {
        PrintStream before = System.out;
        ByteArrayOutputStream standard = new ByteArrayOutputStream();
        System.setOut(new PrintStream(standard, true, StandardCharsets.UTF_8));
        try {
            ByteArrayOutputStream tool = new ByteArrayOutputStream();
            CountDownLatch toolInside = new CountDownLatch(1);
            CountDownLatch otherPrinted = new CountDownLatch(1);
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> StandardStreams.capturedInto(tool, () -> {
                System.out.println("tool before");
                toolInside.countDown();
                try {
                    assertThat(otherPrinted.await(10, TimeUnit.SECONDS)).isTrue();
                }
                catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                System.out.println("tool after");
                return 0;
            }));
            assertThat(toolInside.await(10, TimeUnit.SECONDS)).isTrue();
            PrintStream duringTheTool = System.out;
            System.out.println("another thread");
            otherPrinted.countDown();
            assertThat(run.get(10, TimeUnit.SECONDS)).isZero();
            // A stream kept from the tool's time writes to the JVM's own afterwards, from any thread.
            duringTheTool.println("kept stream");

            assertThat(tool.toString(StandardCharsets.UTF_8)).isEqualTo("tool before" + System.lineSeparator() + "tool after" + System.lineSeparator());
            assertThat(standard.toString(StandardCharsets.UTF_8)).isEqualTo("another thread" + System.lineSeparator() + "kept stream" + System.lineSeparator());
        }
        finally {
            System.setOut(before);
        }
    }
}
