package dev.ferry.front;

import java.util.Optional;

import org.apache.hadoop.hive.metastore.api.MetaException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Database names as Hive 3.1's MetaStoreUtils.parseDbName reads them. */
class CatalogAndDatabaseTest
{
    @Test
    void plainNameIsADatabaseInTheDefaultCatalog()
            throws MetaException
    {
        assertThat(CatalogAndDatabase.parse("sales")).isEqualTo(new CatalogAndDatabase(Optional.empty(), "sales"));
        assertThat(CatalogAndDatabase.parse("")).isEqualTo(new CatalogAndDatabase(Optional.empty(), ""));
        assertThat(CatalogAndDatabase.parse(null)).isEqualTo(new CatalogAndDatabase(Optional.empty(), null));
    }

    @Test
    void markedNameCarriesItsCatalog()
            throws MetaException
    {
        assertThat(CatalogAndDatabase.parse("@hive#sales")).isEqualTo(new CatalogAndDatabase(Optional.of("hive"), "sales"));
        assertThat(CatalogAndDatabase.parse("@spark#a#b")).isEqualTo(new CatalogAndDatabase(Optional.of("spark"), "a#b"));
    }

    @Test
    void markersForNullAndEmptyDatabase()
            throws MetaException
    {
        assertThat(CatalogAndDatabase.parse("@hive#")).isEqualTo(new CatalogAndDatabase(Optional.of("hive"), null));
        assertThat(CatalogAndDatabase.parse("@hive#!")).isEqualTo(new CatalogAndDatabase(Optional.of("hive"), ""));
    }

    @Test
    void markerWithoutSeparatorIsRefused()
    {
        assertThatThrownBy(() -> CatalogAndDatabase.parse("@hive"))
                .isInstanceOf(MetaException.class)
                .hasMessage("@hive is prepended with the catalog marker but does not appear to have a catalog name in it");
    }
}
