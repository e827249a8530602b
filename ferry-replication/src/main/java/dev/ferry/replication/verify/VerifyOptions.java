package dev.ferry.replication.verify;

/**
 * How verify reads.
 *
 * @param chunkSize source rows per chunk: the unit that is compared, and named when it differs
 * @param fetchSize rows a result set holds in memory at a time, on either side
 * @param parallelism tables verified at once, each with one connection to either database
 */
public record VerifyOptions(int chunkSize, int fetchSize, int parallelism)
{
    public VerifyOptions
    {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be at least 1: " + chunkSize);
        }
        if (fetchSize < 1) {
            throw new IllegalArgumentException("fetchSize must be at least 1: " + fetchSize);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
        }
    }

    public static VerifyOptions defaults()
    {
        return new VerifyOptions(10_000, 1_000, 2);
    }

    public VerifyOptions withChunkSize(int chunkSize)
    {
        return new VerifyOptions(chunkSize, fetchSize, parallelism);
    }

    public VerifyOptions withParallelism(int parallelism)
    {
        return new VerifyOptions(chunkSize, fetchSize, parallelism);
    }
}
