package dev.ferry.replication.source;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SourceDialectTest
{
    @Test
    void versionsAndGtidModesFerryMigratesFrom()
    {
        assertThat(mySql("8.0.15", "ON").unsupported()).isEmpty();
        assertThat(mySql("5.7.22-log", "OFF").unsupported()).isEmpty();
        assertThat(mySql("5.6.51-log", "OFF").unsupported()).hasValueSatisfying(unsupported -> {
            assertThat(unsupported.reason()).isEqualTo(SourceDialect.Unsupported.Reason.VERSION);
            assertThat(unsupported.message()).isEqualTo("the source runs MySQL 5.6.51-log; Ferry migrates from MySQL 5.7 and later (tested: 5.7 and 8.0)");
        });
        assertThat(mySql("8.0.36", "ON_PERMISSIVE").unsupported()).hasValueSatisfying(unsupported -> {
            assertThat(unsupported.reason()).isEqualTo(SourceDialect.Unsupported.Reason.GTID_MODE);
            assertThat(unsupported.message()).startsWith("the source's gtid_mode is ON_PERMISSIVE, a step of changing GTID mode");
        });
        assertThat(new MariaDbDialect(ServerVersion.parse("10.2.44-MariaDB")).unsupported()).isPresent();
        assertThat(new MariaDbDialect(ServerVersion.parse("10.11.5-MariaDB-log")).unsupported()).isEmpty();
    }

    @Test
    void untestedVersionsAreWarnedAbout()
    {
        assertThat(mySql("8.0.15", "OFF").warnings()).isEmpty();
        assertThat(mySql("5.7.44", "OFF").warnings()).isEmpty();
        assertThat(mySql("8.4.3", "ON").warnings()).containsExactly("MySQL 8.4.3 has not been tested with Ferry (tested: 5.7 and 8.0)");
        assertThat(new MariaDbDialect(ServerVersion.parse("11.4.5-MariaDB")).warnings()).containsExactly("MariaDB 11.4.5 has not been tested with Ferry (tested: 10.11)");
    }

    @Test
    void mySqlNamesTransactionsAndReadsOffsetsByItsGtidMode()
    {
        MySqlDialect withGtids = mySql("8.0.15", "ON");
        assertThat(withGtids.describe()).isEqualTo("MySQL 8.0.15 with GTIDs");
        assertThat(withGtids.transactionId("094b3575-eeef-11f1-bfbc-02fc00000001:8")).isEqualTo("094b3575-eeef-11f1-bfbc-02fc00000001:8");
        assertThat(withGtids.offsetPosition(Map.of("file", "binlog.000001", "pos", 1792L, "gtids", "094b3575-eeef-11f1-bfbc-02fc00000001:1-7")))
                .isEqualTo(SourcePosition.parse("094b3575-eeef-11f1-bfbc-02fc00000001:1-7"));
        assertThat(withGtids.seedOffset(new SourceDialect.BinlogEnd("binlog.000001", 1792, SourcePosition.parse("094b3575-eeef-11f1-bfbc-02fc00000001:1-7"))))
                .isEqualTo("{\"file\":\"binlog.000001\",\"pos\":1792,\"gtids\":\"094b3575-eeef-11f1-bfbc-02fc00000001:1-7\"}");

        MySqlDialect withoutGtids = mySql("8.0.15", "OFF");
        assertThat(withoutGtids.describe()).isEqualTo("MySQL 8.0.15 without GTIDs (binlog file and position)");
        assertThat(withoutGtids.transactionId("file=binlog.000002,pos=833")).isEqualTo("binlog.000002:833");
        assertThat(withoutGtids.offsetPosition(Map.of("file", "binlog.000002", "pos", 1122L, "gtids", "094b3575-eeef-11f1-bfbc-02fc00000001:1-11")))
                .isEqualTo(new BinlogCoordinates("binlog.000002", 1122));
        assertThat(withoutGtids.seedOffset(new SourceDialect.BinlogEnd("binlog.000002", 754, new BinlogCoordinates("binlog.000002", 754))))
                .isEqualTo("{\"file\":\"binlog.000002\",\"pos\":754}");
    }

    private static MySqlDialect mySql(String version, String gtidMode)
    {
        return new MySqlDialect(ServerVersion.parse(version), MySqlDialect.GtidMode.of(gtidMode));
    }
}
