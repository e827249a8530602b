package dev.ferry.front;

import java.lang.reflect.Method;

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

    @Test
    void unknownMethodIsRefusedByName()
    {
        assertThatThrownBy(() -> HmsMethods.classify("get_table"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("HMS method get_table is not classified");
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
