package dev.ferry.replication.source;

import org.junit.jupiter.api.Test;

import static dev.ferry.replication.source.ServerVersion.Flavor.MARIADB;
import static dev.ferry.replication.source.ServerVersion.Flavor.MYSQL;
import static org.assertj.core.api.Assertions.assertThat;

class ServerVersionTest
{
    @Test
    void namesTheBinlogMonitorPrivilegeAsEachServerDoes()
    {
        assertThat(ServerVersion.parse("10.11.5-MariaDB-log")).isEqualTo(new ServerVersion("10.11.5-MariaDB-log", MARIADB, 10, 11, 5));
        assertThat(ServerVersion.parse("10.11.5-MariaDB-log").binlogMonitorPrivilege()).isEqualTo("BINLOG MONITOR");
        assertThat(ServerVersion.parse("10.5.2-MariaDB").binlogMonitorPrivilege()).isEqualTo("BINLOG MONITOR");
        assertThat(ServerVersion.parse("10.5.1-MariaDB").binlogMonitorPrivilege()).isEqualTo("REPLICATION CLIENT");
        assertThat(ServerVersion.parse("10.4.32-MariaDB-log").binlogMonitorPrivilege()).isEqualTo("REPLICATION CLIENT");
        assertThat(ServerVersion.parse("8.0.36").binlogMonitorPrivilege()).isEqualTo("REPLICATION CLIENT");
    }

    @Test
    void picksTheBinlogStatusStatementEachServerUnderstands()
    {
        assertThat(ServerVersion.parse("8.0.36-28").flavor()).isEqualTo(MYSQL);
        assertThat(ServerVersion.parse("8.0.36-28").binlogStatusStatement()).isEqualTo("SHOW MASTER STATUS");
        assertThat(ServerVersion.parse("8.2.0").binlogStatusStatement()).isEqualTo("SHOW BINARY LOG STATUS");
        assertThat(ServerVersion.parse("8.4.3").binlogStatusStatement()).isEqualTo("SHOW BINARY LOG STATUS");
        assertThat(ServerVersion.parse("5.7.44-log").binlogStatusStatement()).isEqualTo("SHOW MASTER STATUS");
        assertThat(ServerVersion.parse("11.4.5-MariaDB").binlogStatusStatement()).isEqualTo("SHOW MASTER STATUS");
    }
}
