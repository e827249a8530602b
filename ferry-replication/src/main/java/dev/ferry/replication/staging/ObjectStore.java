package dev.ferry.replication.staging;

import java.util.List;
import java.util.Optional;

/**
 * One bucket of an object store, as the staging log uses it: whole objects written at once, read whole, listed by
 * prefix and deleted. A write that returns is durable in the store; a key written again is replaced whole.
 */
public interface ObjectStore
{
    /** An object's key and size in bytes. */
    record StoredObject(String key, long size) {}

    /** The bucket's URI, such as {@code s3://lake}, for logs and messages. */
    String uri();

    void put(String key, byte[] bytes);

    Optional<byte[]> get(String key);

    /** Every object whose key starts with {@code prefix}, in key order. */
    List<StoredObject> list(String prefix);

    /** Removes the object; nothing happens when there is none. */
    void delete(String key);
}
