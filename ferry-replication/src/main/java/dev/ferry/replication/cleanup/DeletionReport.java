package dev.ferry.replication.cleanup;

/**
 * What deleting a migration's transferred data did.
 *
 * @param tablesEmptied metastore tables emptied in the own database
 * @param seedStatements statements of Hive's schema script run to put its seed rows back
 * @param stagingEntriesDeleted files and directories deleted under the staging directory, itself included; 0
 *     when it did not exist
 */
public record DeletionReport(int tablesEmptied, int seedStatements, long stagingEntriesDeleted)
{
    @Override
    public String toString()
    {
        return "emptied %s metastore tables, ran %s seed statements, deleted %s staging entries".formatted(tablesEmptied, seedStatements, stagingEntriesDeleted);
    }
}
