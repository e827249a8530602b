package dev.ferry.control.model;

import java.util.Locale;

/** OperationMetadata.verb. */
public enum Verb
{
    START,
    COMPLETE,
    CANCEL,
    DELETE,
    /** upgradeHiveVersion: the service's metastore and engine to a newer Hive version. */
    UPGRADE;

    public String wireName()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
