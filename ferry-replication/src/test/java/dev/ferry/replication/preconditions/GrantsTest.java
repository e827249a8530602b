package dev.ferry.replication.preconditions;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Lines as MariaDB 10.11 and MySQL 8 print them for SHOW GRANTS. */
class GrantsTest
{
    @Test
    void readsGlobalPrivilegesAndIgnoresPasswordsDatabaseGrantsAndRoles()
    {
        List<String> mariaDb = List.of(
                "GRANT `cdc_role` TO `viarole`@`%`",
                "GRANT USAGE ON *.* TO `viarole`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
                "GRANT `inner_role` TO `cdc_role`",
                "GRANT BINLOG MONITOR ON *.* TO `cdc_role`",
                "GRANT SELECT ON `hms`.* TO `cdc_role`",
                "GRANT REPLICATION SLAVE ON *.* TO `inner_role`",
                "GRANT SELECT, INSERT, UPDATE ON `test`.* TO PUBLIC",
                "SET DEFAULT ROLE `cdc_role` FOR `viarole`@`%`");

        assertThat(Grants.globalPrivileges(mariaDb)).containsExactly("USAGE", "BINLOG MONITOR", "REPLICATION SLAVE");
        assertThat(Grants.grantsGlobally(mariaDb, "REPLICATION SLAVE")).isTrue();
        assertThat(Grants.grantsGlobally(mariaDb, "SELECT")).isFalse();
    }

    @Test
    void allPrivilegesOnEverythingGrantsReplicationButOnOneDatabaseDoesNot()
    {
        assertThat(Grants.grantsGlobally(List.of("GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` WITH GRANT OPTION"), "REPLICATION SLAVE")).isTrue();
        assertThat(Grants.grantsGlobally(List.of("GRANT ALL ON *.* TO 'admin'@'%'"), "REPLICATION SLAVE")).isTrue();
        assertThat(Grants.grantsGlobally(List.of(
                "GRANT USAGE ON *.* TO `dball`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
                "GRANT ALL PRIVILEGES ON `hms`.* TO `dball`@`%`"), "REPLICATION SLAVE")).isFalse();
        // A column grant mentions the privilege, but not ON *.*.
        assertThat(Grants.grantsGlobally(List.of("GRANT SELECT (`SCHEMA_VERSION`) ON `hms`.`VERSION` TO `r2`@`%`"), "SELECT")).isFalse();
    }

    @Test
    void readsMySqlEightStaticAndDynamicPrivileges()
    {
        List<String> mySql = List.of(
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`",
                "GRANT BACKUP_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `cdc`@`%`",
                "GRANT `cdc_role`@`%` TO `cdc`@`%`");

        assertThat(Grants.globalPrivileges(mySql)).containsExactly("REPLICATION SLAVE", "REPLICATION CLIENT", "BACKUP_ADMIN", "REPLICATION_SLAVE_ADMIN");
        // REPLICATION_SLAVE_ADMIN (start and stop a replica) is not REPLICATION SLAVE.
        assertThat(Grants.grantsGlobally(List.of("GRANT REPLICATION_SLAVE_ADMIN ON *.* TO `cdc`@`%`"), "REPLICATION SLAVE")).isFalse();
    }
}
