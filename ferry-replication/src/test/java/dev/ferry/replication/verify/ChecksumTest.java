package dev.ferry.replication.verify;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChecksumTest
{
    private static Checksum checksum(List<List<String>> rows)
    {
        RowHasher hasher = new RowHasher();
        for (List<String> row : rows) {
            row.forEach(hasher::value);
            hasher.endRow();
        }
        return hasher.checksum();
    }

    private static List<String> row(String... values)
    {
        return Arrays.asList(values);
    }

    @Test
    void valuesAreHashedWithTheirBoundariesAndNullApartFromEveryText()
    {
        assertThat(checksum(List.of(row("ab", "c")))).isNotEqualTo(checksum(List.of(row("a", "bc"))));
        assertThat(checksum(List.of(row("", null)))).isNotEqualTo(checksum(List.of(row(null, ""))));
        assertThat(checksum(List.of(row((String) null)))).isNotEqualTo(checksum(List.of(row("\u0000null"))));
        assertThat(checksum(List.of(row("x")))).isEqualTo(checksum(List.of(row("x"))));
    }

    @Test
    void orderAndChunkingDoNotMatterButDuplicatesDo()
    {
        List<String> a = row("1", "a");
        List<String> b = row("2", "b");
        List<String> c = row("3", "c");
        assertThat(checksum(List.of(a, b, c))).isEqualTo(checksum(List.of(c, a, b)));
        assertThat(checksum(List.of(a, b)).plus(checksum(List.of(c)))).isEqualTo(checksum(List.of(b, c, a)));
        // An XOR of row hashes would call these equal: each pair of duplicates cancels out.
        Checksum twiceA = checksum(List.of(a, a, c));
        Checksum twiceB = checksum(List.of(b, b, c));
        assertThat(twiceA.rows()).isEqualTo(twiceB.rows());
        assertThat(twiceA.hex()).isNotEqualTo(twiceB.hex());
        assertThat(checksum(List.of())).isEqualTo(Checksum.EMPTY);
    }

    @Test
    void sumsCarryFromTheLowToTheHighWord()
    {
        assertThat(new Checksum(1, 0, -1).plus(new Checksum(1, 0, 1))).isEqualTo(new Checksum(2, 1, 0));
        assertThat(new Checksum(1, 5, 0x10).hex()).isEqualTo("00000000000000050000000000000010");
    }

    @Test
    void keyRangesSayWhereTheyStartAndEnd()
    {
        assertThat(new KeyRange(List.of("PART_ID", "PARAM_KEY"), List.of(12L, "it's"), List.of(40L, "z")))
                .hasToString("(PART_ID, PARAM_KEY) after (12, 'it''s') through (40, 'z')");
        assertThat(new KeyRange(List.of("SD_ID"), List.of(), List.of(50L))).hasToString("(SD_ID) from the first row through (50)");
        assertThat(new KeyRange(List.of("SD_ID"), List.of(50L), List.of())).hasToString("(SD_ID) after (50) to the last row");
        assertThat(KeyRange.wholeTable()).hasToString("the whole table");
        assertThatThrownBy(() -> new KeyRange(List.of("PART_ID", "PARAM_KEY"), List.of(12L), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after has 1 values for 2 key columns");
    }
}
