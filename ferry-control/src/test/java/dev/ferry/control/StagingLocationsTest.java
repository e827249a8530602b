package dev.ferry.control;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StagingLocationsTest
{
    private static final Path ROOT = Path.of("/var/lib/ferry/staging");

    @Test
    void anS3BucketNeedsAnObjectStore()
    {
        StagingLocations local = new StagingLocations(ROOT, List.of(ROOT));
        assertThat(local.problem("s3://lake/staging")).hasValueSatisfying(problem -> assertThat(problem).contains("migration.object-store"));
        assertThat(local.problem("gs://lake")).contains("Ferry stages to a local directory or a file:// URI; gs: is not supported");
        assertThat(local.problem("file:///var/lib/ferry/staging/m")).isEmpty();
    }

    @Test
    void anS3BucketWithAnObjectStoreIsAcceptedAndSplitIntoBucketAndPath()
    {
        StagingLocations withStore = new StagingLocations(ROOT, List.of(ROOT), true);
        assertThat(withStore.problem("s3://lake")).isEmpty();
        assertThat(withStore.problem("s3://lake.ferry-1/staging/hms=prod/")).isEmpty();
        assertThat(withStore.objectLocation("s3://lake")).contains(new StagingLocations.ObjectLocation("lake", ""));
        assertThat(withStore.objectLocation("s3://lake.ferry-1/staging/hms=prod/")).contains(new StagingLocations.ObjectLocation("lake.ferry-1", "staging/hms=prod"));
        assertThat(withStore.objectLocation("/var/lib/ferry/staging/m")).isEmpty();
        // Local buckets keep their rules.
        assertThat(withStore.problem("/tmp/elsewhere")).hasValueSatisfying(problem -> assertThat(problem).startsWith("must be inside one of the staging roots"));
        assertThat(withStore.problem("gs://lake")).contains("Ferry stages to a local directory, a file:// URI or an s3:// bucket; gs: is not supported");
    }

    @Test
    void aMalformedS3BucketIsRefusedWithTheRule()
    {
        StagingLocations withStore = new StagingLocations(ROOT, List.of(ROOT), true);
        for (String bad : List.of("s3://", "s3://Lake", "s3://a", "s3://lake staging", "s3://lake/a b", "s3://lake?x=1", "S3://lake")) {
            assertThat(withStore.problem(bad)).as(bad).isPresent();
        }
        assertThat(withStore.problem("s3://lake/staging/../other")).contains("must not contain a \".\" or \"..\" segment");
        assertThat(withStore.problem("s3://lake/./staging")).contains("must not contain a \".\" or \"..\" segment");
    }
}
