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

    @Test
    void anEngineWithItsOwnThriftApiSharesOnlyTheSpiAndLogging()
    {
        for (String own : new String[] {"org.apache.hadoop.hive.metastore.api.Table", "org.apache.thrift.TBase", "com.facebook.fb303.FacebookService"}) {
            assertThat(ChildFirstClassLoader.isShared(own, EngineHome.ThriftApi.OWN)).as(own).isFalse();
            assertThat(ChildFirstClassLoader.isShared(own, EngineHome.ThriftApi.SHARED)).as(own).isTrue();
        }
        for (String shared : new String[] {"dev.ferry.engine.spi.MessageEngineRuntime", "org.slf4j.Logger", "org.apache.logging.log4j.LogManager"}) {
            assertThat(ChildFirstClassLoader.isShared(shared, EngineHome.ThriftApi.OWN)).as(shared).isTrue();
        }
    }
}
