package dev.ferry.upgrade;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What Hive 4.0.1's PostgreSQL upgrade scripts from 3.1.0 do to existing rows, as a replay must repeat it. */
class UpgradeScriptsTest
{
    @Test
    void readsTheFillsAndRewritesOfHivesScriptsFrom310To400()
    {
        UpgradeScripts scripts = UpgradeScripts.of(EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "4.0.0");
        assertThat(scripts.steps()).containsExactly("3.1.0-to-3.2.0", "3.2.0-to-4.0.0-alpha-1", "4.0.0-alpha-1-to-4.0.0-alpha-2",
                "4.0.0-alpha-2-to-4.0.0-beta-1", "4.0.0-beta-1-to-4.0.0");
        assertThat(scripts.fills()).isEqualTo(Map.of(
                "WM_RESOURCEPLAN", Map.of("NS", "default"),
                "TAB_COL_STATS", Map.of("ENGINE", "hive"),
                "PART_COL_STATS", Map.of("ENGINE", "hive"),
                "DBS", Map.of("TYPE", "NATIVE")));
        assertThat(scripts.rewrites()).extracting(rewrite -> rewrite.sql().lines().findFirst().orElseThrow()).containsExactly(
                "UPDATE \"SERDES\" SET \"SLIB\"='org.apache.hadoop.hive.serde2.MultiDelimitSerDe' where \"SLIB\"='org.apache.hadoop.hive.contrib.serde2.MultiDelimitSerDe'",
                "UPDATE \"SDS\"",
                "UPDATE \"SERDES\"");
        assertThat(scripts.rewritesTouching(java.util.Set.of("table_params"))).hasSize(2);
        assertThat(scripts.rewritesTouching(java.util.Set.of("PARTITIONS"))).isEmpty();
    }

    @Test
    void refusesVersionsWithoutAPath()
    {
        assertThatThrownBy(() -> UpgradeScripts.of(EngineSchemaTool.upgradeScripts("4.0.0"), "3.1.0", "9.9.9"))
                .isInstanceOf(UpgradeException.class)
                .hasMessageStartingWith("Hive's upgrade scripts in ")
                .hasMessageEndingWith(" lead nowhere from schema 4.0.0 on the way from 3.1.0 to 9.9.9");
    }

    @Test
    void splitsStatementsAtSemicolonsOutsideQuotesWithoutComments()
    {
        assertThat(UpgradeScripts.statements("-- a comment; with a semicolon\nSELECT 'a;b';\nUPDATE \"T\" SET \"C\" = 'x'\n  WHERE \"C\" IS NULL;\n"))
                .isEqualTo(List.of("SELECT 'a;b'", "UPDATE \"T\" SET \"C\" = 'x'\n  WHERE \"C\" IS NULL"));
    }
}
