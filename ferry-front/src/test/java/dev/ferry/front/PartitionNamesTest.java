package dev.ferry.front;

import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PartitionNamesTest
{
    @Test
    void namesPartitionsAsHiveWithEscapesAndTheDefaultPartition()
    {
        List<FieldSchema> keys = List.of(new FieldSchema("day", "string", null), new FieldSchema("region", "string", null));
        assertThat(PartitionNames.name(keys, List.of("2024-01-01", "eu"), "__HIVE_DEFAULT_PARTITION__")).isEqualTo("day=2024-01-01/region=eu");
        assertThat(PartitionNames.name(keys, List.of("a/b:c", "x=y%"), "__D__")).isEqualTo("day=a%2Fb%3Ac/region=x%3Dy%25");
        assertThat(PartitionNames.name(keys, Arrays.asList("", null), "__D__")).isEqualTo("day=__D__/region=__D__");
    }
}
