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
}
