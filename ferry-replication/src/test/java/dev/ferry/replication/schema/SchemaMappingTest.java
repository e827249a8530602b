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
