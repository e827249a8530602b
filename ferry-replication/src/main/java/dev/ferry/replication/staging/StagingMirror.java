package dev.ferry.replication.staging;

import static java.util.Objects.requireNonNull;

/**
 * Where a staging log is kept durably when it lives in an object store: the objects under {@code prefix} (which ends
 * with a {@code /}) of one bucket. The log's directory on the replica that runs replication is then only a cache
 * of them, rebuilt from the store when the log is opened, so that any replica can take replication over.
 */
public record StagingMirror(ObjectStore store, String prefix)
{
    public StagingMirror
    {
        requireNonNull(store, "store is null");
        requireNonNull(prefix, "prefix is null");
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
    }

    /** {@code s3://bucket/prefix/}, for logs and messages. */
    public String uri()
    {
        return store.uri() + "/" + prefix;
    }

    /** Removes every object of this staging log; returns how many. */
    public long deleteAll()
    {
        long deleted = 0;
        for (ObjectStore.StoredObject object : store.list(prefix)) {
            store.delete(object.key());
            deleted++;
        }
        return deleted;
    }

    @Override
    public String toString()
    {
        return uri();
    }
}
