package dev.ferry.front;

import static java.util.Objects.requireNonNull;

/**
 * The Thrift API of an engine's Hive version, as far as the front answers it differently: Hive 4.0 engines have every
 * method of Ferry's API (Hive 4.0.1's IDL); Hive 3.1 engines lack the methods Hive 4.0 added, which {@link Hive31Methods}
 * answers or leaves to the engine; Hive 2.3 engines lack those and the ones Hive 3.0 and 3.1 added, which
 * {@link Hive23Methods} answers or leaves to the engine.
 */
enum EngineApi
{
    HIVE_2_3("2.3"),
    HIVE_3_1("3.1"),
    HIVE_4_0("4");

    private final String displayName;

    EngineApi(String displayName)
    {
        this.displayName = displayName;
    }

    /** The API of an engine of this Hive version, such as {@code 3.1.3}. */
    static EngineApi of(String hiveVersion)
    {
        requireNonNull(hiveVersion, "hiveVersion is null");
        if (hiveVersion.startsWith("2.3.")) {
            return HIVE_2_3;
        }
        if (hiveVersion.startsWith("3.1.")) {
            return HIVE_3_1;
        }
        if (hiveVersion.startsWith("4.")) {
            return HIVE_4_0;
        }
        throw new IllegalArgumentException("the front has no API table for Hive %s; it knows Hive 2.3, 3.1 and 4".formatted(hiveVersion));
    }

    /** How messages name the version: "2.3", "3.1", "4". */
    String displayName()
    {
        return displayName;
    }
}
