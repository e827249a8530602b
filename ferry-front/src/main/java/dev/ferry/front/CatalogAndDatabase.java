package dev.ferry.front;

import java.util.Optional;

import org.apache.hadoop.hive.metastore.api.MetaException;

import static java.util.Objects.requireNonNull;

/**
 * A database name as Hive 3 clients send it to the methods that take no catalog: {@code @catalog#database}, or a
 * plain database name (Hive 2.3 clients, and Hive 3 clients on the default catalog), which means the metastore's
 * default catalog. Parsed as Hive 3.1's MetaStoreUtils.parseDbName does.
 *
 * @param catalog the catalog, empty for the metastore's default catalog
 * @param database the database; null when the client sent {@code @catalog#}, as Hive 3.1 reads it
 */
record CatalogAndDatabase(Optional<String> catalog, String database)
{
    private static final char CATALOG_MARKER = '@';
    private static final String SEPARATOR = "#";
    private static final String EMPTY_DATABASE_MARKER = "!";

    CatalogAndDatabase
    {
        requireNonNull(catalog, "catalog is null");
    }

    static CatalogAndDatabase parse(String name)
            throws MetaException
    {
        if (name == null || name.isEmpty() || name.charAt(0) != CATALOG_MARKER) {
            return new CatalogAndDatabase(Optional.empty(), name);
        }
        if (name.endsWith(SEPARATOR)) {
            return new CatalogAndDatabase(Optional.of(name.substring(1, name.length() - 1)), null);
        }
        if (name.endsWith(EMPTY_DATABASE_MARKER)) {
            return new CatalogAndDatabase(Optional.of(name.substring(1, name.length() - EMPTY_DATABASE_MARKER.length() - 1)), "");
        }
        String[] parts = name.substring(1).split(SEPARATOR, 2);
        if (parts.length != 2) {
            throw new MetaException(name + " is prepended with the catalog marker but does not appear to have a catalog name in it");
        }
        return new CatalogAndDatabase(Optional.of(parts[0]), parts[1]);
    }
}
