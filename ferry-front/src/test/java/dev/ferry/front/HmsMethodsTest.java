package dev.ferry.front;

import java.lang.reflect.Method;
import java.util.Set;
import java.util.TreeSet;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HmsMethodsTest
{
    @Test
    void everyIfaceMethodIsClassified()
    {
        assertThat(HmsMethods.unclassified()).as("Iface methods missing from HmsMethods").isEmpty();
        for (Method method : ThriftHiveMetastore.Iface.class.getMethods()) {
            assertThat(HmsMethods.classify(method.getName())).isNotNull();
        }
    }

    @Test
    void classifiesNoMethodThatIsNotInTheIface()
    {
        assertThat(HmsMethods.unknown()).as("stale entries in HmsMethods").isEmpty();
    }

    /** The names a per-method metric label is bounded to: every Iface and legacy method, and nothing else. */
    @Test
    void namesAreTheIfaceAndLegacyMethods()
    {
        Set<String> expected = new TreeSet<>();
        for (Method method : ThriftHiveMetastore.Iface.class.getMethods()) {
            expected.add(method.getName());
        }
        for (Method method : LegacyHmsApi.class.getMethods()) {
            expected.add(method.getName());
        }
        assertThat(new TreeSet<>(HmsMethods.names())).isEqualTo(expected);
        assertThatThrownBy(() -> HmsMethods.names().add("get_tabel")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void unknownMethodIsRefusedByName()
    {
        assertThatThrownBy(() -> HmsMethods.classify("get_tabel"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("HMS method get_tabel is not classified");
    }

    @Test
    void everyLegacyMethodIsClassifiedByWhatItDoes()
    {
        for (Method method : LegacyHmsApi.class.getMethods()) {
            assertThat(HmsMethods.classify(method.getName())).as(method.getName()).isNotNull();
        }
        assertThat(HmsMethods.classify("get_table")).isEqualTo(MethodClass.READ);
        assertThat(HmsMethods.classify("get_table_objects_by_name")).isEqualTo(MethodClass.READ);
        assertThat(HmsMethods.classify("get_indexes")).isEqualTo(MethodClass.READ);
        assertThat(HmsMethods.classify("add_index")).isEqualTo(MethodClass.WRITE);
        assertThat(HmsMethods.classify("alter_index")).isEqualTo(MethodClass.WRITE);
        assertThat(HmsMethods.classify("drop_index_by_name")).isEqualTo(MethodClass.WRITE);
    }

    @Test
    void legacyMethodsAreExactlyTheOnesTheIfaceNoLongerHas()
    {
        Set<String> iface = names(ThriftHiveMetastore.Iface.class);
        Set<String> legacy = names(LegacyHmsApi.class);
        // Should a later Hive bring one back, the generated processor must serve it, not Ferry's.
        assertThat(legacy).as("legacy methods the Iface has again").doesNotContainAnyElementsOf(iface);
        assertThat(legacy).containsExactlyInAnyOrder("get_table", "get_table_objects_by_name", "add_index", "alter_index",
                "drop_index_by_name", "get_index_by_name", "get_index_names", "get_indexes");
        assertThat(LegacyProcessor.methodNames()).as("methods the legacy processor answers").isEqualTo(legacy);
    }

    private static Set<String> names(Class<?> api)
    {
        Set<String> names = new TreeSet<>();
        for (Method method : api.getMethods()) {
            names.add(method.getName());
        }
        return names;
    }

    @Test
    void transactionsAndLocksAreWritesButTheirReadsAreNot()
    {
        assertThat(HmsMethods.classify("open_txns").writes()).isTrue();
        assertThat(HmsMethods.classify("lock").writes()).isTrue();
        assertThat(HmsMethods.classify("check_lock").writes()).isTrue();
        assertThat(HmsMethods.classify("heartbeat").writes()).isTrue();
        assertThat(HmsMethods.classify("show_locks").writes()).isFalse();
        assertThat(HmsMethods.classify("get_valid_write_ids").writes()).isFalse();
        assertThat(HmsMethods.classify("add_partitions").writes()).isTrue();
        assertThat(HmsMethods.classify("get_partitions").writes()).isFalse();
        assertThat(HmsMethods.classify("set_ugi").writes()).isFalse();
    }
}
