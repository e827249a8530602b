package dev.ferry.replication.schema;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaMappingTest
{
    private static final Path SCRIPTS = Path.of(System.getProperty("ferry.engine.home"), "scripts", "metastore", "upgrade");

    @Test
    void everyColumnOfEveryTableOfBothScriptsHasAConversion()
    {
        SchemaScript mysql = SchemaScript.read(SCRIPTS.resolve("mysql/hive-schema-4.0.0.mysql.sql"));
        SchemaScript postgres = SchemaScript.read(SCRIPTS.resolve("postgres/hive-schema-4.0.0.postgres.sql"));
        // Walk the scripts themselves, not the mapping, so a column the mapping dropped cannot go unnoticed.
        SchemaMapping mapping = SchemaMapping.derive(mysql, postgres);
        assertThat(mysql.tables()).hasSize(83);
        assertThat(mapping.tables().keySet()).isEqualTo(mysql.tables().keySet()).isEqualTo(postgres.tables().keySet());
        int columns = 0;
        for (TableDefinition table : mysql.tables().values()) {
            TableMapping mapped = mapping.table(table.name());
            for (ColumnDefinition column : table.columns()) {
                assertThat(mapped.column(column.name()).source()).isEqualTo(column);
                columns++;
            }
            for (ColumnDefinition column : postgres.tables().get(table.name()).columns()) {
                assertThat(mapped.column(column.name()).target()).isEqualTo(column);
            }
            assertThat(mapped.columns()).hasSize(table.columns().size());
        }
        // Counted independently of this parser: 550 column definitions in hive-schema-4.0.0.mysql.sql.
        assertThat(columns).isEqualTo(550);
    }

    /** Hive 3.1's scripts, from the Hive 3.1 engine's home: what a 3.1.0 source is replicated with. */
    private static final Path SCRIPTS_3_1 = Path.of(System.getProperty("ferry.engine.home.hive3"), "scripts", "metastore", "upgrade");

    @Test
    void everyColumnOfEveryTableOfTheHive31ScriptsHasAConversion()
    {
        SchemaScript mysql = SchemaScript.read(SCRIPTS_3_1.resolve("mysql/hive-schema-3.1.0.mysql.sql"));
        SchemaScript postgres = SchemaScript.read(SCRIPTS_3_1.resolve("postgres/hive-schema-3.1.0.postgres.sql"));
        SchemaMapping mapping = SchemaMapping.derive(mysql, postgres);
        assertThat(mysql.tables()).hasSize(74);
        assertThat(mapping.tables().keySet()).isEqualTo(mysql.tables().keySet()).isEqualTo(postgres.tables().keySet());
        int columns = 0;
        for (TableDefinition table : mysql.tables().values()) {
            TableMapping mapped = mapping.table(table.name());
            for (ColumnDefinition column : table.columns()) {
                assertThat(mapped.column(column.name()).source()).isEqualTo(column);
                columns++;
            }
            for (ColumnDefinition column : postgres.tables().get(table.name()).columns()) {
                assertThat(mapped.column(column.name()).target()).isEqualTo(column);
            }
            assertThat(mapped.columns()).hasSize(table.columns().size());
        }
        assertThat(columns).isEqualTo(COLUMNS_3_1);
        // Hive 3.1's PostgreSQL script leaves its transaction tables unquoted: PostgreSQL stores them in lower case.
        assertThat(mapping.table("TXNS").targetIdentifier()).isEqualTo("\"txns\"");
        assertThat(mapping.table("TXNS").column("TXN_STATE").targetIdentifier()).isEqualTo("\"txn_state\"");
        assertThat(mapping.table("NEXT_TXN_ID").targetIdentifier()).isEqualTo("\"next_txn_id\"");
        assertThat(mapping.table("DBS").targetIdentifier()).isEqualTo("\"DBS\"");
        assertThat(mapping.table("DBS").column("DB_ID").targetIdentifier()).isEqualTo("\"DB_ID\"");
        assertThat(mapping.tables().values().stream().filter(table -> !table.targetIdentifier().equals("\"" + table.name() + "\"")).map(TableMapping::name))
                .containsExactlyInAnyOrder("TXNS", "TXN_COMPONENTS", "COMPLETED_TXN_COMPONENTS", "NEXT_TXN_ID", "HIVE_LOCKS", "NEXT_LOCK_ID",
                        "COMPACTION_QUEUE", "NEXT_COMPACTION_QUEUE_ID", "COMPLETED_COMPACTIONS", "AUX_TABLE", "WRITE_SET", "TXN_TO_WRITE_ID",
                        "NEXT_WRITE_ID", "MIN_HISTORY_LEVEL", "MATERIALIZATION_REBUILD_LOCKS", "REPL_TXN_MAP", "RUNTIME_STATS");
        assertThat(mapping.table("IDXS").rowKey()).containsExactly("INDEX_ID");
        assertThat(mapping.tables().values().stream().filter(table -> table.identityColumn().isPresent()).map(TableMapping::name))
                .containsExactlyInAnyOrder("MASTER_KEYS");
    }

    /** Hive 2.3's scripts, from the Hive 2.3 engine's home: hive-schema-1.2.0 and the upgrades to 2.3.0. */
    private static final Path SCRIPTS_2_3 = Path.of(System.getProperty("ferry.engine.home.hive2"), "scripts", "metastore", "upgrade");

    @Test
    void schema230IsBuiltFromHive120AndTheUpgradeChain()
    {
        assertThat(HiveSchemaScripts.scripts(SCRIPTS_2_3.resolve("mysql/hive-schema-2.3.0.mysql.sql")).stream().map(path -> path.getFileName().toString()))
                .containsExactly("hive-schema-1.2.0.mysql.sql", "upgrade-1.2.0-to-2.0.0.mysql.sql", "upgrade-2.0.0-to-2.1.0.mysql.sql",
                        "upgrade-2.1.0-to-2.2.0.mysql.sql", "upgrade-2.2.0-to-2.3.0.mysql.sql");
        assertThat(HiveSchemaScripts.scripts(SCRIPTS_2_3.resolve("postgres/hive-schema-2.3.0.postgres.sql")).stream().map(path -> path.getFileName().toString()))
                .containsExactly("hive-schema-1.2.0.postgres.sql", "upgrade-1.2.0-to-2.0.0.postgres.sql", "upgrade-2.0.0-to-2.1.0.postgres.sql",
                        "upgrade-2.1.0-to-2.2.0.postgres.sql", "upgrade-2.2.0-to-2.3.0.postgres.sql");
        // A script Hive ships is read as it is.
        assertThat(HiveSchemaScripts.scripts(SCRIPTS_3_1.resolve("mysql/hive-schema-3.1.0.mysql.sql")))
                .containsExactly(SCRIPTS_3_1.resolve("mysql/hive-schema-3.1.0.mysql.sql"));
        // No chain reaches a version the upgrade order does not name.
        assertThatThrownBy(() -> HiveSchemaScripts.scripts(SCRIPTS_2_3.resolve("mysql/hive-schema-2.2.5.mysql.sql")))
                .hasMessageContaining("hive-schema-2.2.5.mysql.sql");
    }

    @Test
    void everyColumnOfEveryTableOfTheHive23ScriptsHasAConversion()
    {
        SchemaScript mysql = SchemaScript.read(SCRIPTS_2_3.resolve("mysql/hive-schema-2.3.0.mysql.sql"));
        SchemaScript postgres = SchemaScript.read(SCRIPTS_2_3.resolve("postgres/hive-schema-2.3.0.postgres.sql"));
        SchemaMapping mapping = SchemaMapping.derive(mysql, postgres);
        // 53 tables in hive-schema-1.2.0, and COMPLETED_COMPACTIONS, AUX_TABLE, KEY_CONSTRAINTS, WRITE_SET from the upgrades.
        assertThat(mysql.tables()).hasSize(57);
        assertThat(mapping.tables().keySet()).isEqualTo(mysql.tables().keySet());
        // hive-schema-1.2.0.postgres.sql also creates COLUMNS_OLD, which no Hive 2.3 model maps: not replicated.
        assertThat(postgres.tables().keySet()).containsAll(mapping.tables().keySet()).contains("COLUMNS_OLD").hasSize(58);
        assertThat(mapping.tables()).containsKeys("COMPLETED_COMPACTIONS", "AUX_TABLE", "KEY_CONSTRAINTS", "WRITE_SET", "IDXS", "MASTER_KEYS", "NOTIFICATION_SEQUENCE");
        int columns = 0;
        for (TableDefinition table : mysql.tables().values()) {
            TableMapping mapped = mapping.table(table.name());
            for (ColumnDefinition column : table.columns()) {
                assertThat(mapped.column(column.name()).source()).isEqualTo(column);
                columns++;
            }
            for (ColumnDefinition column : postgres.tables().get(table.name()).columns()) {
                assertThat(mapped.column(column.name()).target()).isEqualTo(column);
            }
            assertThat(mapped.columns()).hasSize(table.columns().size());
        }
        assertThat(columns).isEqualTo(COLUMNS_2_3);
        // The upgrades' ALTER TABLE statements: columns dropped, added, redefined.
        assertThat(mapping.table("TBLS").columns().stream().map(ColumnMapping::name)).doesNotContain("LINK_TARGET_ID").contains("IS_REWRITE_ENABLED");
        assertThat(mapping.table("PARTITIONS").columns().stream().map(ColumnMapping::name)).doesNotContain("LINK_TARGET_ID");
        ColumnMapping rewrite = mapping.table("TBLS").column("IS_REWRITE_ENABLED");
        assertThat(rewrite.source().type()).isEqualTo("bit(1)");
        assertThat(rewrite.target().type()).isEqualTo("boolean");
        assertThat(rewrite.source().nullable()).isFalse();
        assertThat(rewrite.target().nullable()).isFalse();
        assertThat(rewrite.conversion()).isEqualTo(Conversion.BIT_TO_BOOLEAN);
        assertThat(mapping.table("COLUMNS_V2").column("TYPE_NAME").source().type()).isEqualTo("mediumtext");
        assertThat(mapping.table("COLUMNS_V2").column("TYPE_NAME").target().type()).isEqualTo("text");
        assertThat(mapping.table("COLUMNS_V2").column("COLUMN_NAME").source().type()).isEqualTo("varchar(767)");
        assertThat(mapping.table("COLUMNS_V2").column("COLUMN_NAME").target().type()).isEqualTo("varchar(767)");
        assertThat(mapping.table("TBLS").column("TBL_NAME").target().type()).isEqualTo("varchar(256)");
        assertThat(mapping.table("NOTIFICATION_LOG").column("MESSAGE").source().type()).isEqualTo("longtext");
        assertThat(mapping.table("COMPACTION_QUEUE").column("CQ_META_INFO").source().type()).isEqualTo("varbinary(2048)");
        assertThat(mapping.table("COMPACTION_QUEUE").column("CQ_META_INFO").target().type()).isEqualTo("bytea");
        assertThat(mapping.table("COMPACTION_QUEUE").column("CQ_TBLPROPERTIES").targetIdentifier()).isEqualTo("\"cq_tblproperties\"");
        // The transaction tables are unquoted in the PostgreSQL scripts, so lower case there.
        assertThat(mapping.tables().values().stream().filter(table -> !table.targetIdentifier().equals("\"" + table.name() + "\"")).map(TableMapping::name))
                .containsExactlyInAnyOrder("TXNS", "TXN_COMPONENTS", "COMPLETED_TXN_COMPONENTS", "NEXT_TXN_ID", "HIVE_LOCKS", "NEXT_LOCK_ID",
                        "COMPACTION_QUEUE", "NEXT_COMPACTION_QUEUE_ID", "COMPLETED_COMPACTIONS", "AUX_TABLE", "WRITE_SET");
        assertThat(mapping.table("KEY_CONSTRAINTS").rowKey()).containsExactly("CONSTRAINT_NAME", "POSITION");
        assertThat(mapping.table("COMPLETED_COMPACTIONS").rowKey()).containsExactly("CC_ID");
        assertThat(mapping.table("AUX_TABLE").rowKey()).containsExactly("MT_KEY1", "MT_KEY2");
        assertThat(mapping.tables().values().stream().filter(table -> table.identityColumn().isPresent()).map(TableMapping::name))
                .containsExactlyInAnyOrder("MASTER_KEYS");
        // The seed rows a fresh 2.3.0 metastore holds: the counters, VERSION inserted as 1.2.0 and updated to 2.3.0.
        assertThat(postgres.inserts().get(postgres.inserts().size() - 1)).contains("2.3.0");
    }

    /**
     * Column definitions of schema 2.3.0, counted with grep apart from this parser: 293 in hive-schema-1.2.0.mysql.sql,
     * 34 in the tables the upgrades create, 15 columns they add, 2 they drop.
     */
    private static final int COLUMNS_2_3 = 293 + 34 + 15 - 2;

    @Test
    void alterTableStatementsChangeColumns()
    {
        SchemaScript script = SchemaScript.parse("""
                CREATE TABLE `T` (`A` bigint(20) NOT NULL, `B` varchar(10), `C` int(11), `D` int, PRIMARY KEY (`A`));
                ALTER TABLE `T` DROP FOREIGN KEY `T_FK1`;
                ALTER TABLE `T` DROP KEY `T_N1`;
                ALTER TABLE `T` DROP COLUMN `C`;
                ALTER TABLE `T` MODIFY `B` varchar(767) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL;
                ALTER TABLE `T` MODIFY COLUMN `D` bit(1) NOT NULL DEFAULT 0;
                ALTER TABLE `T` ADD `E` varbinary(2048);
                ALTER TABLE T ADD COLUMN F char(1);
                ALTER TABLE T ADD CONSTRAINT T_U UNIQUE (F);
                CREATE TABLE "P" ("A" bigint NOT NULL, "B" varchar(10), "C" integer);
                ALTER TABLE "P" ALTER "B" TYPE character varying(1000);
                alter table "P" alter column "B" type text using cast("B" as text);
                ALTER TABLE "P" ALTER COLUMN "C" SET NOT NULL;
                ALTER TABLE "P" ALTER COLUMN "C" SET DEFAULT 0;
                ALTER TABLE "P" ALTER COLUMN "A" DROP NOT NULL;
                UPDATE "P" SET "C" = 1;
                """);
        assertThat(script.tables().get("T").columns()).containsExactly(
                new ColumnDefinition("A", "bigint", false, false),
                new ColumnDefinition("B", "varchar(767)", false, false),
                new ColumnDefinition("D", "bit(1)", false, false),
                new ColumnDefinition("E", "varbinary(2048)", true, false),
                new ColumnDefinition("F", "char(1)", true, false));
        assertThat(script.tables().get("T").rowKey()).containsExactly("A");
        assertThat(script.tables().get("P").columns()).containsExactly(
                new ColumnDefinition("A", "bigint", true, false),
                new ColumnDefinition("B", "text", true, false),
                new ColumnDefinition("C", "int", false, false));
        assertThat(script.inserts()).containsExactly("UPDATE \"P\" SET \"C\" = 1");
        assertThatThrownBy(() -> SchemaScript.parse("CREATE TABLE T (A int); ALTER TABLE T MODIFY B int;"))
                .hasMessageContaining("column B");
    }

    /** Column definitions in hive-schema-3.1.0.mysql.sql, counted with grep apart from this parser. */
    private static final int COLUMNS_3_1 = 444;

    @Test
    void conversionsMatchTheKnownDifferencesOfTheTwoSchemas()
    {
        SchemaMapping mapping = SchemaMapping.derive(SCRIPTS, "4.0.0");
        Map<String, Conversion> bits = new TreeMap<>();
        mapping.tables().values().forEach(table -> table.columns().stream()
                .filter(column -> column.source().type().equals("bit(1)"))
                .forEach(column -> bits.put(table.name() + "." + column.name(), column.conversion())));
        assertThat(bits).containsExactlyInAnyOrderEntriesOf(Map.of(
                "SDS.IS_COMPRESSED", Conversion.BIT_TO_BOOLEAN,
                "SDS.IS_STOREDASSUBDIRECTORIES", Conversion.BIT_TO_BOOLEAN,
                "TBLS.IS_REWRITE_ENABLED", Conversion.BIT_TO_BOOLEAN,
                "I_SCHEMA.CAN_EVOLVE", Conversion.BIT_TO_BOOLEAN,
                "WM_TRIGGER.IS_IN_UNMANAGED", Conversion.BIT_TO_INTEGER));
        assertThat(mapping.table("PARTITION_PARAMS").column("PARAM_VALUE").conversion()).isEqualTo(Conversion.STRING);
        assertThat(mapping.table("SCHEDULED_QUERIES").column("ENABLED").conversion()).isEqualTo(Conversion.BOOLEAN);
        assertThat(mapping.table("TAB_COL_STATS").column("DOUBLE_HIGH_VALUE").conversion()).isEqualTo(Conversion.FLOAT);
        assertThat(mapping.table("TAB_COL_STATS").column("BIT_VECTOR").conversion()).isEqualTo(Conversion.BYTES);
        assertThat(mapping.table("COMPLETED_TXN_COMPONENTS").column("CTC_TIMESTAMP").conversion()).isEqualTo(Conversion.TIMESTAMP);
        long widened = mapping.tables().values().stream().flatMap(table -> table.columns().stream())
                .filter(column -> column.source().type().equals("int") && column.target().type().equals("bigint")).count();
        // 28 int(11) columns (CREATE_TIME, INTEGER_IDX, ...) and SCHEDULED_QUERIES.ACTIVE_EXECUTION_ID (integer).
        assertThat(widened).as("int columns that are bigint in PostgreSQL").isEqualTo(29);
    }

    @Test
    void keysAndIdentityColumnsComeFromTheScripts()
    {
        SchemaMapping mapping = SchemaMapping.derive(SCRIPTS, "4.0.0");
        assertThat(mapping.table("DBS").rowKey()).containsExactly("DB_ID");
        assertThat(mapping.table("PARTITION_KEY_VALS").rowKey()).containsExactly("PART_ID", "INTEGER_IDX");
        assertThat(mapping.table("NOTIFICATION_SEQUENCE").rowKey()).containsExactly("NNI_ID");
        assertThat(mapping.table("TXNS").identityColumn()).contains("TXN_ID");
        assertThat(mapping.table("MASTER_KEYS").identityColumn()).contains("KEY_ID");
        assertThat(mapping.tables().values().stream().filter(table -> table.identityColumn().isPresent()).map(TableMapping::name))
                .containsExactlyInAnyOrder("TXNS", "MASTER_KEYS");
        String keyless = mapping.tables().values().stream().filter(table -> table.rowKey().isEmpty()).map(TableMapping::name)
                .sorted().collect(Collectors.joining(", "));
        System.out.println("Tables without a row key: " + keyless);
        assertThat(keyless).contains("TXN_COMPONENTS", "NEXT_LOCK_ID");
    }

    @Test
    void mismatchedScriptsAreRefusedNamingEveryDifference()
    {
        SchemaScript mysql = SchemaScript.parse("CREATE TABLE `T` (`A` bigint(20) NOT NULL, `B` bit(1), `C` int(11), PRIMARY KEY (`A`)) ENGINE=InnoDB;"
                + "CREATE TABLE ONLY_MYSQL (X int);");
        SchemaScript postgres = SchemaScript.parse("CREATE TABLE \"T\" (\"A\" bigint NOT NULL, \"B\" text, \"D\" integer);");
        assertThatThrownBy(() -> SchemaMapping.derive(mysql, postgres))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("""
                        the MySQL and PostgreSQL schema scripts do not map onto each other:
                          table ONLY_MYSQL is only in the MySQL script
                          column T.B has no conversion from MySQL bit(1) to PostgreSQL text
                          column T.D is only in the PostgreSQL script
                          column T.C is only in the MySQL script""");
    }

    @Test
    void copyTextEscapesAndCanonicalValuesAgreeAcrossSources()
    {
        assertThat(Conversion.STRING.copyText("a\\b\tc\nd")).isEqualTo("a\\\\b\\tc\\nd");
        assertThat(Conversion.BYTES.copyText(new byte[] {0, (byte) 0xff})).isEqualTo("\\\\x00ff");
        assertThat(Conversion.BIT_TO_BOOLEAN.copyText(Conversion.BIT_TO_BOOLEAN.canonical(new byte[] {1}))).isEqualTo("t");
        assertThat(Conversion.BIT_TO_INTEGER.canonical(Boolean.TRUE)).isEqualTo(1L);
        assertThat(Conversion.INTEGER.canonical(7)).isEqualTo(7L);
        assertThat(Conversion.TIMESTAMP.canonical("2026-11-21T08:00:00.5Z")).isEqualTo(Conversion.TIMESTAMP.canonical(java.time.LocalDateTime.of(2026, 11, 21, 8, 0, 0, 500_000_000)));
        assertThat(Conversion.FLOAT.normalText(1.50)).isEqualTo(Conversion.FLOAT.normalText(1.5d));
        assertThat(Conversion.STRING.copyText(null)).isEqualTo("\\N");
    }
}
