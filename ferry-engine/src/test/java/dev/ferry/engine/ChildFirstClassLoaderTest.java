package dev.ferry.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChildFirstClassLoaderTest
{
    @Test
    void thriftApiIsSharedButHiveDecimalUtilsComesFromTheEngine()
    {
        assertThat(ChildFirstClassLoader.isShared("org.apache.hadoop.hive.metastore.api.Table")).isTrue();
        assertThat(ChildFirstClassLoader.isShared("org.apache.hadoop.hive.metastore.api.DecimalColumnStatsData")).isTrue();
        // Only hive-standalone-metastore-server has it; set_aggr_stats_for with decimal statistics needs it.
        assertThat(ChildFirstClassLoader.isShared("org.apache.hadoop.hive.metastore.api.utils.DecimalUtils")).isFalse();
        assertThat(ChildFirstClassLoader.isShared("org.apache.hadoop.hive.metastore.HMSHandler")).isFalse();
    }
}
