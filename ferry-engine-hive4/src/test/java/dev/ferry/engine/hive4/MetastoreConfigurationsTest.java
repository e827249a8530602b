package dev.ferry.engine.hive4;

import java.nio.file.Path;
import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.EngineSettings.BackgroundTasks;
import dev.ferry.engine.spi.EngineSettings.NotificationLog;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MetastoreConfigurationsTest
{
    private static final String LISTENER = "dev.ferry.engine.hive4.NotificationLogListener";
    private static final String JSON_ENCODER = "org.apache.hadoop.hive.metastore.messaging.json.JSONMessageEncoder";
    private static final String GZIP_ENCODER = "org.apache.hadoop.hive.metastore.messaging.json.gzip.GzipJSONMessageEncoder";

    @Test
    void appendsTheListenerAfterTheTransactionalListenersTheOverridesName()
    {
        Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.ON,
                Map.of("hive.metastore.transactional.event.listeners", " com.example.First, com.example.Second ,")));
        assertThat(MetastoreConf.getVar(conf, ConfVars.TRANSACTIONAL_EVENT_LISTENERS))
                .isEqualTo("com.example.First,com.example.Second," + LISTENER);
    }

    @Test
    void addsTheListenerOnceWhereTheOverridesPutIt()
    {
        Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.ON,
                Map.of("metastore.transactional.event.listeners", LISTENER + ",com.example.Last")));
        assertThat(MetastoreConf.getVar(conf, ConfVars.TRANSACTIONAL_EVENT_LISTENERS)).isEqualTo(LISTENER + ",com.example.Last");
    }

    @Test
    void leavesTheTransactionalListenersToTheOverridesWhenOff()
    {
        assertThat(MetastoreConf.getVar(MetastoreConfigurations.of(settings(NotificationLog.OFF, Map.of())), ConfVars.TRANSACTIONAL_EVENT_LISTENERS))
                .isEmpty();
        Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.OFF,
                Map.of("metastore.transactional.event.listeners", "com.example.First")));
        assertThat(MetastoreConf.getVar(conf, ConfVars.TRANSACTIONAL_EVENT_LISTENERS)).isEqualTo("com.example.First");
    }

    @Test
    void writesPlainJsonUnlessTheOverridesNameAnEncoder()
    {
        assertThat(MetastoreConf.getVar(MetastoreConfigurations.of(settings(NotificationLog.ON, Map.of())), ConfVars.EVENT_MESSAGE_FACTORY))
                .isEqualTo(JSON_ENCODER);
        for (String key : new String[] {"metastore.event.message.factory", "hive.metastore.event.message.factory"}) {
            Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.ON, Map.of(key, GZIP_ENCODER)));
            assertThat(MetastoreConf.getVar(conf, ConfVars.EVENT_MESSAGE_FACTORY)).as(key).isEqualTo(GZIP_ENCODER);
        }
        // Off, the engine keeps Hive's own default.
        assertThat(MetastoreConf.getVar(MetastoreConfigurations.of(settings(NotificationLog.OFF, Map.of())), ConfVars.EVENT_MESSAGE_FACTORY))
                .isEqualTo(GZIP_ENCODER);
    }

    @Test
    void putsTheManagedAndExternalWarehouseRootsSideBySideUnlessOverridden()
    {
        Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.ON, Map.of()));
        assertThat(MetastoreConf.getVar(conf, ConfVars.WAREHOUSE)).isEqualTo("file:///warehouse/managed");
        assertThat(MetastoreConf.getVar(conf, ConfVars.WAREHOUSE_EXTERNAL)).isEqualTo("file:///warehouse/external");
        for (String prefix : new String[] {"metastore.", "hive.metastore."}) {
            Configuration overridden = MetastoreConfigurations.of(settings(NotificationLog.ON, Map.of(
                    prefix + "warehouse.dir", "s3a://bucket/managed",
                    prefix + "warehouse.external.dir", "s3a://bucket/external")));
            assertThat(MetastoreConf.getVar(overridden, ConfVars.WAREHOUSE)).as(prefix).isEqualTo("s3a://bucket/managed");
            assertThat(MetastoreConf.getVar(overridden, ConfVars.WAREHOUSE_EXTERNAL)).as(prefix).isEqualTo("s3a://bucket/external");
        }
    }

    @Test
    void passesSettingsThroughButKeepsTheConnectionAndSchemaChecksItsOwn()
    {
        Configuration conf = MetastoreConfigurations.of(settings(NotificationLog.ON, Map.of(
                "metastore.limit.partition.request", "100",
                "fs.s3a.endpoint", "http://127.0.0.1:9000",
                "javax.jdo.option.ConnectionURL", "jdbc:mysql://elsewhere/hms",
                "hive.metastore.uris", "thrift://elsewhere:9083",
                "hive.metastore.schema.verification", "false")));
        assertThat(MetastoreConf.getIntVar(conf, ConfVars.LIMIT_PARTITION_REQUEST)).isEqualTo(100);
        assertThat(conf.get("fs.s3a.endpoint")).isEqualTo("http://127.0.0.1:9000");
        assertThat(MetastoreConf.getVar(conf, ConfVars.CONNECT_URL_KEY)).isEqualTo("jdbc:postgresql://127.0.0.1:5432/hms");
        assertThat(MetastoreConf.getVar(conf, ConfVars.THRIFT_URIS)).isEmpty();
        assertThat(MetastoreConf.getBoolVar(conf, ConfVars.SCHEMA_VERIFICATION)).isTrue();
    }

    private static EngineSettings settings(NotificationLog notificationLog, Map<String, String> overrides)
    {
        return new EngineSettings("test", "jdbc:postgresql://127.0.0.1:5432/hms", "hive", "secret", Path.of("/warehouse"),
                BackgroundTasks.OFF, notificationLog, overrides);
    }
}
