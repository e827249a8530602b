package dev.ferry.server;

import java.lang.management.ManagementFactory;
import java.util.Optional;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * Whether {@code System.gc()} stops this process. DataNucleus (Hive 2.3 and 3.1's engines among others) calls it each
 * time an engine closes: after a cutover, a cancel, a rehearsal. With G1 and without
 * {@code -XX:+ExplicitGCInvokesConcurrent}, or with the serial or parallel collector, each call is a full collection
 * that stops every client call for its length (0.14-8.7 s measured in ferry-server's tests), unless
 * {@code -XX:+DisableExplicitGC} ignores it. ZGC and Shenandoah collect concurrently anyway. {@code bin/ferry} runs
 * Java with G1 and the first option.
 */
final class ExplicitGc
{
    private ExplicitGc() {}

    /** Why this JVM's {@code System.gc()} stops the process, if it does. */
    static Optional<String> stopsTheProcess()
    {
        HotSpotDiagnosticMXBean options = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (options == null) {
            return Optional.empty();
        }
        boolean stopping = enabled(options, "UseSerialGC") || enabled(options, "UseParallelGC")
                || enabled(options, "UseG1GC") && !enabled(options, "ExplicitGCInvokesConcurrent");
        if (!stopping || enabled(options, "DisableExplicitGC")) {
            return Optional.empty();
        }
        return Optional.of(("System.gc() stops this process for a full collection, and DataNucleus calls it each time a Hive engine closes "
                + "(after a cutover, a cancel, a rehearsal): every client call then waits for it (seconds with a large heap). Run Java with "
                + "-XX:+ExplicitGCInvokesConcurrent (G1, as bin/ferry does) or -XX:+DisableExplicitGC"));
    }

    private static boolean enabled(HotSpotDiagnosticMXBean options, String name)
    {
        try {
            return Boolean.parseBoolean(options.getVMOption(name).getValue());
        }
        catch (IllegalArgumentException e) {
            // Not a flag of this JVM.
            return false;
        }
    }
}
