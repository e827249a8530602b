package dev.ferry.replication.preconditions;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.replication.ReplicationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.replication.ReplicationException.Reason.INTERNAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HmsSchemaScriptTest
{
    @TempDir
    Path directory;

    @Test
    void readsEveryTableOfHiveFourSchemaScript()
    {
        Path script = Path.of(System.getProperty("ferry.engine.home"), "scripts/metastore/upgrade/mysql/hive-schema-4.0.0.mysql.sql");

        HmsSchemaScript schema = HmsSchemaScript.read(script);

        // 83 tables, as Hive's schema tool creates (FINDINGS.md); back-quoted, bare and IF NOT EXISTS names alike.
        assertThat(schema.tables()).hasSize(83).doesNotHaveDuplicates()
                .contains("VERSION", "DBS", "TBLS", "PARTITIONS", "MASTER_KEYS", "DELEGATION_TOKENS", "WM_POOL", "TXNS", "DC_PRIVS")
                .allMatch(table -> table.equals(table.toUpperCase()));
    }

    @Test
    void skipsCommentsAndKeepsScriptOrder()
            throws Exception
    {
        Path script = Files.writeString(directory.resolve("schema.sql"), """
                /*!40101 SET NAMES utf8 */;
                -- Create table replication metrics (not a statement)
                # CREATE TABLE HASH_COMMENTED (ID int);
                /* CREATE TABLE BLOCK_COMMENTED (ID int); */
                CREATE TABLE IF NOT EXISTS `BUCKETING_COLS` (
                  `SD_ID` bigint(20) NOT NULL
                );
                CREATE TABLE TXNS (TXN_ID bigint);
                create table if not exists `MASTER_KEYS`
                (KEY_ID INTEGER NOT NULL AUTO_INCREMENT);
                """);

        assertThat(HmsSchemaScript.read(script).tables()).containsExactly("BUCKETING_COLS", "TXNS", "MASTER_KEYS");
    }

    @Test
    void refusesScriptWithoutTables()
            throws Exception
    {
        Path script = Files.writeString(directory.resolve("empty.sql"), "-- nothing here\n");

        assertThatThrownBy(() -> HmsSchemaScript.read(script))
                .isInstanceOf(ReplicationException.class)
                .hasMessage("the Hive metastore schema script %s has no CREATE TABLE statement", script)
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(INTERNAL);
    }

    @Test
    void refusesMissingScript()
    {
        Path script = directory.resolve("missing.sql");

        assertThatThrownBy(() -> HmsSchemaScript.read(script))
                .isInstanceOf(ReplicationException.class)
                .hasMessage("cannot read the Hive metastore schema script %s: java.nio.file.NoSuchFileException: %s", script, script)
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(INTERNAL);
    }
}
