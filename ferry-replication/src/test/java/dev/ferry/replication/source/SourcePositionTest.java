package dev.ferry.replication.source;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SourcePositionTest
{
    private static final String UUID_A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private static final String UUID_B = "094b3575-eeef-11f1-bfbc-02fc00000001";

    @Test
    void mariaDbPositionIncludesUpToTheLastSequenceOfEachDomainAndKeepsServerIds()
    {
        SourcePosition position = SourcePosition.parse("0-1-1234,1-2-17");
        assertThat(position).isInstanceOf(MariaDbGtids.class);
        assertThat(position.includes("0-1-1234")).isTrue();
        assertThat(position.includes("0-9-1000")).isTrue();
        assertThat(position.includes("0-1-1235")).isFalse();
        assertThat(position.includes("2-1-1")).isFalse();
        assertThat(position.includesAll(SourcePosition.parse("0-1-100,1-2-17"))).isTrue();
        assertThat(position.includesAll(SourcePosition.parse("1-2-18"))).isFalse();
        // A replica resumes by full GTIDs: the server ids stay as the server wrote them.
        assertThat(position.advancedTo("0-3-1300").toString()).isEqualTo("0-3-1300,1-2-17");
        assertThat(position.advancedTo("0-3-1000")).isEqualTo(position);
        assertThat(SourcePosition.parse(position.toString())).isEqualTo(position);
    }

    @Test
    void mySqlGtidSetIncludesByIntervalWithGapsAndJoinsAdjacentOnes()
    {
        SourcePosition position = SourcePosition.parse(UUID_A + ":1-5:7-9,\n" + UUID_B.toUpperCase() + ":1-3");
        assertThat(position).isInstanceOf(MySqlGtidSet.class);
        assertThat(position.includes(UUID_A + ":5")).isTrue();
        assertThat(position.includes(UUID_A + ":6")).as("a gap").isFalse();
        assertThat(position.includes(UUID_A + ":8")).isTrue();
        assertThat(position.includes(UUID_B + ":3")).isTrue();
        assertThat(position.includes(UUID_B + ":4")).isFalse();
        assertThat(position.includesAll(SourcePosition.parse(UUID_A + ":2-4:8"))).isTrue();
        assertThat(position.includesAll(SourcePosition.parse(UUID_A + ":4-7"))).isFalse();
        SourcePosition filled = position.advancedTo(UUID_A + ":6");
        assertThat(filled.toString()).isEqualTo(UUID_B + ":1-3," + UUID_A + ":1-9");
        assertThat(filled.includesAll(SourcePosition.parse(UUID_A + ":4-7"))).isTrue();
        assertThat(SourcePosition.parse(filled.toString())).isEqualTo(filled);
        assertThat(position.union(SourcePosition.parse(UUID_A + ":10-12")).includes(UUID_A + ":11")).isTrue();
    }

    @Test
    void binlogCoordinatesIncludeTransactionsThatStartBeforeThemAcrossFiles()
    {
        SourcePosition end = SourcePosition.parse("mysql-bin.000002:1888");
        assertThat(end).isInstanceOf(BinlogCoordinates.class);
        assertThat(end.includes("mysql-bin.000002:1694")).isTrue();
        assertThat(end.includes("mysql-bin.000002:1888")).as("the next transaction starts where the binlog ends").isFalse();
        assertThat(end.includes("mysql-bin.000001:999999")).isTrue();
        assertThat(end.includes("mysql-bin.000010:4")).isFalse();
        assertThat(end.includesAll(SourcePosition.parse("mysql-bin.000001:5000"))).isTrue();
        assertThat(end.includesAll(SourcePosition.parse("mysql-bin.000003:4"))).isFalse();
        SourcePosition staged = SourcePosition.EMPTY.advancedTo("mysql-bin.000002:1694");
        assertThat(staged.includes("mysql-bin.000002:1694")).isTrue();
        assertThat(staged.includesAll(end)).as("the last transaction's end is not known from its start").isFalse();
        assertThat(staged.union(end)).isEqualTo(end);
        assertThatThrownBy(() -> end.includes("other-bin.000002:4")).hasMessageContaining("the binlog's base name changed");
    }

    @Test
    void emptyIncludesNothingAndTakesTheKindOfItsFirstTransaction()
    {
        assertThat(SourcePosition.parse("")).isSameAs(SourcePosition.EMPTY);
        assertThat(SourcePosition.parse(null)).isSameAs(SourcePosition.EMPTY);
        assertThat(SourcePosition.EMPTY.includes("0-1-1")).isFalse();
        assertThat(SourcePosition.EMPTY.advancedTo("0-1-5")).isInstanceOf(MariaDbGtids.class);
        assertThat(SourcePosition.EMPTY.advancedTo(UUID_A + ":5")).isInstanceOf(MySqlGtidSet.class);
        assertThat(SourcePosition.EMPTY.advancedTo("binlog.000001:120")).isInstanceOf(BinlogCoordinates.class);
        assertThat(SourcePosition.parse("0-1-5").includesAll(SourcePosition.EMPTY)).isTrue();
    }

    @Test
    void positionsOfDifferentKindsRefuseToCompare()
    {
        SourcePosition gtids = SourcePosition.parse(UUID_A + ":1-5");
        SourcePosition coordinates = SourcePosition.parse("binlog.000001:120");
        assertThatThrownBy(() -> gtids.includesAll(coordinates))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot compare source position %s:1-5 (MySqlGtidSet) with binlog.000001:120: the source's binlog positions changed kind (was gtid_mode changed?)", UUID_A);
        assertThatThrownBy(() -> coordinates.includes(UUID_A + ":3")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SourcePosition.parse("garbage")).hasMessageContaining("not a MariaDB GTID position, a MySQL GTID set or binlog coordinates");
    }
}
