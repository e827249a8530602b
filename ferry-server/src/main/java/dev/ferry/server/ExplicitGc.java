package dev.ferry.server;

import java.lang.management.ManagementFactory;
import java.util.Optional;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * Whether {@code System.gc()} stops this process. DataNucleus (Hive 2.3 and 3.1's engines among others) calls it each
 * time an engine closes: after a cutover, a cancel, a rehearsal. Without {@code -XX:+ExplicitGCInvokesConcurrent}
 * (G1) or {@code -XX:+DisableExplicitGC}, each call is a full collection that stops every client call for its
 * length: 0.1-2.3 s measured in ferry-server's tests, 9.5 s on a loaded machine. {@code bin/ferry} runs Java with
 * the first.
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
        if (enabled(options, "DisableExplicitGC") || enabled(options, "ExplicitGCInvokesConcurrent") && enabled(options, "UseG1GC")) {
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
