package dev.ferry.demo;

import java.util.List;

import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemoOptionsTest
{
    @Test
    void defaultsAreTheIssuesSize()
    {
        DemoOptions options = DemoOptions.parse(List.of());
        assertThat(options.databases()).isEqualTo(50);
        assertThat(options.tables()).isEqualTo(2_000);
        assertThat(options.partitions()).isEqualTo(50_000);
        assertThat(options.source()).isEqualTo(SourceServers.Kind.MARIADB_10_11);
    }

    @Test
    void sourceNamesAServerKind()
    {
        assertThat(DemoOptions.parse(List.of("--source", "mysql")).source()).isEqualTo(SourceServers.Kind.MYSQL_8_0_GTID);
        assertThat(DemoOptions.parse(List.of("--source=mysql-no-gtid")).source()).isEqualTo(SourceServers.Kind.MYSQL_8_0);
        assertThat(DemoOptions.parse(List.of("--source", "mysql-5.7")).source()).isEqualTo(SourceServers.Kind.MYSQL_5_7);
        assertThatThrownBy(() -> DemoOptions.parse(List.of("--source", "oracle")))
                .hasMessage("--source must be one of mariadb, mysql, mysql-no-gtid, mysql-5.7, not 'oracle'");
    }

    @Test
    void sizesSpreadEvenlyAndAddUp()
    {
        DemoOptions options = DemoOptions.parse(List.of("--databases", "3", "--tables=10", "--partitions", "1,001"));
        assertThat(options.tablesIn(0) + options.tablesIn(1) + options.tablesIn(2)).isEqualTo(10);
        assertThat(options.tablesIn(0)).isEqualTo(4);
        int partitions = 0;
        for (int table = 0; table < 10; table++) {
            partitions += options.partitionsOf(table);
        }
        assertThat(partitions).isEqualTo(1_001);
    }

    @Test
    void badArgumentsAreNamed()
    {
        assertThatThrownBy(() -> DemoOptions.parse(List.of("--tables", "ten"))).hasMessage("--tables needs a whole number, not 'ten'");
        assertThatThrownBy(() -> DemoOptions.parse(List.of("--databases", "5", "--tables", "4")))
                .hasMessage("--tables must be at least --databases (5), not 4");
        assertThatThrownBy(() -> DemoOptions.parse(List.of("--size", "1"))).hasMessage("unexpected argument '--size'");
        assertThatThrownBy(() -> DemoOptions.parse(List.of("--clients"))).hasMessage("unexpected argument '--clients' (or a value missing after it)");
    }
}
