package dev.ferry.engine.hive4;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hive.metastore.HMSHandler;
import org.apache.hadoop.hive.metastore.MetaStoreEventListenerConstants;
import org.apache.hadoop.hive.metastore.ReplChangeManager;
import org.apache.hadoop.hive.metastore.TransactionalMetaStoreEventListener;
import org.apache.hadoop.hive.metastore.Warehouse;
import org.apache.hadoop.hive.metastore.api.ColumnStatisticsDesc;
import org.apache.hadoop.hive.metastore.api.Database;
import org.apache.hadoop.hive.metastore.api.Function;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NotificationEvent;
import org.apache.hadoop.hive.metastore.api.Partition;
import org.apache.hadoop.hive.metastore.api.SQLCheckConstraint;
import org.apache.hadoop.hive.metastore.api.SQLDefaultConstraint;
import org.apache.hadoop.hive.metastore.api.SQLForeignKey;
import org.apache.hadoop.hive.metastore.api.SQLNotNullConstraint;
import org.apache.hadoop.hive.metastore.api.SQLPrimaryKey;
import org.apache.hadoop.hive.metastore.api.SQLUniqueConstraint;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.hadoop.hive.metastore.api.TxnType;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.apache.hadoop.hive.metastore.events.AbortTxnEvent;
import org.apache.hadoop.hive.metastore.events.AcidWriteEvent;
import org.apache.hadoop.hive.metastore.events.AddCheckConstraintEvent;
import org.apache.hadoop.hive.metastore.events.AddDefaultConstraintEvent;
import org.apache.hadoop.hive.metastore.events.AddForeignKeyEvent;
import org.apache.hadoop.hive.metastore.events.AddNotNullConstraintEvent;
import org.apache.hadoop.hive.metastore.events.AddPartitionEvent;
import org.apache.hadoop.hive.metastore.events.AddPrimaryKeyEvent;
import org.apache.hadoop.hive.metastore.events.AddUniqueConstraintEvent;
import org.apache.hadoop.hive.metastore.events.AllocWriteIdEvent;
import org.apache.hadoop.hive.metastore.events.AlterDatabaseEvent;
import org.apache.hadoop.hive.metastore.events.AlterPartitionEvent;
import org.apache.hadoop.hive.metastore.events.AlterTableEvent;
import org.apache.hadoop.hive.metastore.events.BatchAcidWriteEvent;
import org.apache.hadoop.hive.metastore.events.CommitCompactionEvent;
import org.apache.hadoop.hive.metastore.events.CommitTxnEvent;
import org.apache.hadoop.hive.metastore.events.CreateDatabaseEvent;
import org.apache.hadoop.hive.metastore.events.CreateFunctionEvent;
import org.apache.hadoop.hive.metastore.events.CreateTableEvent;
import org.apache.hadoop.hive.metastore.events.DeletePartitionColumnStatEvent;
import org.apache.hadoop.hive.metastore.events.DeleteTableColumnStatEvent;
import org.apache.hadoop.hive.metastore.events.DropConstraintEvent;
import org.apache.hadoop.hive.metastore.events.DropDatabaseEvent;
import org.apache.hadoop.hive.metastore.events.DropFunctionEvent;
import org.apache.hadoop.hive.metastore.events.DropPartitionEvent;
import org.apache.hadoop.hive.metastore.events.DropTableEvent;
import org.apache.hadoop.hive.metastore.events.InsertEvent;
import org.apache.hadoop.hive.metastore.events.ListenerEvent;
import org.apache.hadoop.hive.metastore.events.OpenTxnEvent;
import org.apache.hadoop.hive.metastore.events.ReloadEvent;
import org.apache.hadoop.hive.metastore.events.UpdatePartitionColumnStatEvent;
import org.apache.hadoop.hive.metastore.events.UpdatePartitionColumnStatEventBatch;
import org.apache.hadoop.hive.metastore.events.UpdateTableColumnStatEvent;
import org.apache.hadoop.hive.metastore.messaging.AcidWriteMessage;
import org.apache.hadoop.hive.metastore.messaging.EventMessage;
import org.apache.hadoop.hive.metastore.messaging.EventMessage.EventType;
import org.apache.hadoop.hive.metastore.messaging.MessageBuilder;
import org.apache.hadoop.hive.metastore.messaging.MessageEncoder;
import org.apache.hadoop.hive.metastore.messaging.MessageFactory;
import org.apache.hadoop.hive.metastore.messaging.PartitionFiles;
import org.apache.hadoop.hive.metastore.tools.SQLGenerator;
import org.apache.hadoop.hive.metastore.txn.TxnUtils;
import org.apache.hadoop.hive.metastore.utils.MetaStoreUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.apache.hadoop.hive.metastore.utils.MetaStoreUtils.getDefaultCatalog;

/**
 * Writes every metadata change to the metastore's notification log ({@code NOTIFICATION_LOG}), in the same
 * database transaction as the change, as Apache Hive's {@code org.apache.hive.hcatalog.listener.DbNotificationListener}
 * does. That listener lives in hive-hcatalog-server-extensions, which needs hive-exec and is not part of the
 * standalone metastore; this is the same listener written against the standalone metastore 4.0.1 alone.
 * <p>
 * Same events, same messages ({@link MessageBuilder}, serialised by the encoder {@code metastore.event.message.factory}
 * names), same tables and id sequences: a metadata change is recorded through the thread's {@code RawStore}, inside
 * the JDO transaction of the change ({@code ObjectStore.addNotificationEvent} takes the next id from
 * {@code NOTIFICATION_SEQUENCE} under a row lock); a transaction event (open, commit, abort, write id, ACID write,
 * compaction) is written with SQL on the connection of the transaction handler's own database transaction. So ids are
 * ordered and gap-free, an operation that fails leaves no event, and a metastore database whose events were written by
 * {@code DbNotificationListener} continues with the next id.
 * <p>
 * Unlike {@code DbNotificationListener}, it starts no thread: that listener's cleaner is a static thread deleting
 * events older than {@code metastore.event.db.listener.timetolive}, which would keep an engine's classloader alive
 * after the engine stops and would write to the database outside the calls Ferry's front holds during a cutover.
 */
public final class NotificationLogListener
        extends TransactionalMetaStoreEventListener
{
    private static final Logger log = LoggerFactory.getLogger(NotificationLogListener.class);

    // DataNucleus allocates NOTIFICATION_LOG.NL_ID from this SEQUENCE_TABLE row in blocks and keeps a block in
    // memory; taking ids past NEXT_VAL, and moving NEXT_VAL on, never collides with that block.
    private static final String NOTIFICATION_LOG_SEQUENCE = "org.apache.hadoop.hive.metastore.model.MNotificationLog";
    private static final String WRITE_NOTIFICATION_LOG_SEQUENCE = "org.apache.hadoop.hive.metastore.model.MTxnWriteNotificationLog";

    private final Configuration conf;
    private final MessageEncoder encoder;
    private final int maximumBatchSize;

    public NotificationLogListener(Configuration conf)
    {
        super(conf);
        this.conf = conf;
        this.encoder = MessageFactory.getDefaultInstance(conf);
        this.maximumBatchSize = MetastoreConf.getIntVar(conf, ConfVars.JDBC_MAX_BATCH_SIZE);
    }

    @Override
    public boolean doesAddEventsToNotificationLogTable()
    {
        return true;
    }

    @Override
    public void onCreateDatabase(CreateDatabaseEvent event)
            throws MetaException
    {
        Database database = event.getDatabase();
        record(event, EventType.CREATE_DATABASE, MessageBuilder.getInstance().buildCreateDatabaseMessage(database),
                catalogOf(database), database.getName(), null);
    }

    @Override
    public void onAlterDatabase(AlterDatabaseEvent event)
            throws MetaException
    {
        Database before = event.getOldDatabase();
        record(event, EventType.ALTER_DATABASE, MessageBuilder.getInstance().buildAlterDatabaseMessage(before, event.getNewDatabase()),
                catalogOf(before), before.getName(), null);
    }

    @Override
    public void onDropDatabase(DropDatabaseEvent event)
            throws MetaException
    {
        Database database = event.getDatabase();
        record(event, EventType.DROP_DATABASE, MessageBuilder.getInstance().buildDropDatabaseMessage(database),
                catalogOf(database), database.getName(), null);
    }

    @Override
    public void onCreateTable(CreateTableEvent event)
            throws MetaException
    {
        Table table = event.getTable();
        Iterator<String> files = MetaStoreUtils.isExternalTable(table) ? null : new DataFiles(table.getSd().getLocation());
        record(event, EventType.CREATE_TABLE, MessageBuilder.getInstance().buildCreateTableMessage(table, files),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onAlterTable(AlterTableEvent event)
            throws MetaException
    {
        Table after = event.getNewTable();
        record(event, EventType.ALTER_TABLE, MessageBuilder.getInstance()
                        .buildAlterTableMessage(event.getOldTable(), after, event.getIsTruncateOp(), event.getWriteId()),
                catalogOf(after), after.getDbName(), after.getTableName());
    }

    @Override
    public void onDropTable(DropTableEvent event)
            throws MetaException
    {
        Table table = event.getTable();
        record(event, EventType.DROP_TABLE, MessageBuilder.getInstance().buildDropTableMessage(table),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onAddPartition(AddPartitionEvent event)
            throws MetaException
    {
        Table table = event.getTable();
        Iterator<PartitionFiles> files = MetaStoreUtils.isExternalTable(table) ? null : new PartitionDataFiles(table, event.getPartitionIterator());
        record(event, EventType.ADD_PARTITION, MessageBuilder.getInstance().buildAddPartitionMessage(table, event.getPartitionIterator(), files),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onAlterPartition(AlterPartitionEvent event)
            throws MetaException
    {
        Partition before = event.getOldPartition();
        record(event, EventType.ALTER_PARTITION, MessageBuilder.getInstance().buildAlterPartitionMessage(event.getTable(), before,
                        event.getNewPartition(), event.getIsTruncateOp(), event.getWriteId()),
                before.isSetCatName() ? before.getCatName() : getDefaultCatalog(conf), before.getDbName(), before.getTableName());
    }

    @Override
    public void onDropPartition(DropPartitionEvent event)
            throws MetaException
    {
        Table table = event.getTable();
        record(event, EventType.DROP_PARTITION, MessageBuilder.getInstance().buildDropPartitionMessage(table, event.getPartitionIterator()),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onInsert(InsertEvent event)
            throws MetaException
    {
        Table table = event.getTableObj();
        Iterator<String> files = new EncodedFiles(event.getFiles(), event.getFileChecksums(), null);
        record(event, EventType.INSERT, MessageBuilder.getInstance().buildInsertMessage(table, event.getPartitionObj(), event.isReplace(), files),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onReload(ReloadEvent event)
            throws MetaException
    {
        Table table = event.getTableObj();
        record(event, EventType.RELOAD, MessageBuilder.getInstance().buildReloadMessage(table, event.getPartitionObj(), event.isRefreshEvent()),
                catalogOf(table), table.getDbName(), table.getTableName());
    }

    @Override
    public void onCreateFunction(CreateFunctionEvent event)
            throws MetaException
    {
        Function function = event.getFunction();
        record(event, EventType.CREATE_FUNCTION, MessageBuilder.getInstance().buildCreateFunctionMessage(function),
                function.isSetCatName() ? function.getCatName() : getDefaultCatalog(conf), function.getDbName(), null);
    }

    @Override
    public void onDropFunction(DropFunctionEvent event)
            throws MetaException
    {
        Function function = event.getFunction();
        record(event, EventType.DROP_FUNCTION, MessageBuilder.getInstance().buildDropFunctionMessage(function),
                function.isSetCatName() ? function.getCatName() : getDefaultCatalog(conf), function.getDbName(), null);
    }

    @Override
    public void onAddPrimaryKey(AddPrimaryKeyEvent event)
            throws MetaException
    {
        List<SQLPrimaryKey> columns = event.getPrimaryKeyCols();
        if (!columns.isEmpty()) {
            SQLPrimaryKey first = columns.get(0);
            record(event, EventType.ADD_PRIMARYKEY, MessageBuilder.getInstance().buildAddPrimaryKeyMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getTable_db(), first.getTable_name());
        }
    }

    @Override
    public void onAddForeignKey(AddForeignKeyEvent event)
            throws MetaException
    {
        List<SQLForeignKey> columns = event.getForeignKeyCols();
        if (!columns.isEmpty()) {
            // Recorded on the referenced (primary key) table, as DbNotificationListener does.
            SQLForeignKey first = columns.get(0);
            record(event, EventType.ADD_FOREIGNKEY, MessageBuilder.getInstance().buildAddForeignKeyMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getPktable_db(), first.getPktable_name());
        }
    }

    @Override
    public void onAddUniqueConstraint(AddUniqueConstraintEvent event)
            throws MetaException
    {
        List<SQLUniqueConstraint> columns = event.getUniqueConstraintCols();
        if (!columns.isEmpty()) {
            SQLUniqueConstraint first = columns.get(0);
            record(event, EventType.ADD_UNIQUECONSTRAINT, MessageBuilder.getInstance().buildAddUniqueConstraintMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getTable_db(), first.getTable_name());
        }
    }

    @Override
    public void onAddNotNullConstraint(AddNotNullConstraintEvent event)
            throws MetaException
    {
        List<SQLNotNullConstraint> columns = event.getNotNullConstraintCols();
        if (!columns.isEmpty()) {
            SQLNotNullConstraint first = columns.get(0);
            record(event, EventType.ADD_NOTNULLCONSTRAINT, MessageBuilder.getInstance().buildAddNotNullConstraintMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getTable_db(), first.getTable_name());
        }
    }

    @Override
    public void onAddDefaultConstraint(AddDefaultConstraintEvent event)
            throws MetaException
    {
        List<SQLDefaultConstraint> columns = event.getDefaultConstraintCols();
        if (!columns.isEmpty()) {
            SQLDefaultConstraint first = columns.get(0);
            record(event, EventType.ADD_DEFAULTCONSTRAINT, MessageBuilder.getInstance().buildAddDefaultConstraintMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getTable_db(), first.getTable_name());
        }
    }

    @Override
    public void onAddCheckConstraint(AddCheckConstraintEvent event)
            throws MetaException
    {
        List<SQLCheckConstraint> columns = event.getCheckConstraintCols();
        if (!columns.isEmpty()) {
            SQLCheckConstraint first = columns.get(0);
            record(event, EventType.ADD_CHECKCONSTRAINT, MessageBuilder.getInstance().buildAddCheckConstraintMessage(columns),
                    first.isSetCatName() ? first.getCatName() : getDefaultCatalog(conf), first.getTable_db(), first.getTable_name());
        }
    }

    @Override
    public void onDropConstraint(DropConstraintEvent event)
            throws MetaException
    {
        record(event, EventType.DROP_CONSTRAINT, MessageBuilder.getInstance()
                        .buildDropConstraintMessage(event.getDbName(), event.getTableName(), event.getConstraintName()),
                event.getCatName(), event.getDbName(), event.getTableName());
    }

    @Override
    public void onUpdateTableColumnStat(UpdateTableColumnStatEvent event)
            throws MetaException
    {
        ColumnStatisticsDesc statistics = event.getColStats().getStatsDesc();
        record(event, EventType.UPDATE_TABLE_COLUMN_STAT, MessageBuilder.getInstance().buildUpdateTableColumnStatMessage(
                        event.getColStats(), event.getTableObj(), event.getTableParameters(), event.getWriteId()),
                statistics.isSetCatName() ? statistics.getCatName() : getDefaultCatalog(conf), statistics.getDbName(), statistics.getTableName());
    }

    @Override
    public void onDeleteTableColumnStat(DeleteTableColumnStatEvent event)
            throws MetaException
    {
        record(event, EventType.DELETE_TABLE_COLUMN_STAT, MessageBuilder.getInstance()
                        .buildDeleteTableColumnStatMessage(event.getDBName(), event.getColName()),
                event.getCatName(), event.getDBName(), event.getTableName());
    }

    @Override
    public void onUpdatePartitionColumnStat(UpdatePartitionColumnStatEvent event)
            throws MetaException
    {
        NotificationEvent notification = partitionColumnStatisticsEvent(event);
        recordThroughRawStore(notification, event);
    }

    @Override
    public void onUpdatePartitionColumnStatInBatch(UpdatePartitionColumnStatEventBatch batch, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        List<NotificationEvent> notifications = new ArrayList<>();
        List<ListenerEvent> sources = new ArrayList<>();
        for (int i = 0; i < batch.getNumEntries(); i++) {
            UpdatePartitionColumnStatEvent event = batch.getPartColStatEvent(i);
            notifications.add(partitionColumnStatisticsEvent(event));
            sources.add(event);
        }
        recordOnConnection(notifications, sources, connection, sqlGenerator);
    }

    private NotificationEvent partitionColumnStatisticsEvent(UpdatePartitionColumnStatEvent event)
    {
        ColumnStatisticsDesc statistics = event.getPartColStats().getStatsDesc();
        return notification(EventType.UPDATE_PARTITION_COLUMN_STAT, MessageBuilder.getInstance().buildUpdatePartitionColumnStatMessage(
                        event.getPartColStats(), event.getPartVals(), event.getPartParameters(), event.getTableObj(), event.getWriteId()),
                statistics.isSetCatName() ? statistics.getCatName() : getDefaultCatalog(conf), statistics.getDbName(), statistics.getTableName());
    }

    @Override
    public void onDeletePartitionColumnStat(DeletePartitionColumnStatEvent event)
            throws MetaException
    {
        record(event, EventType.DELETE_PARTITION_COLUMN_STAT, MessageBuilder.getInstance().buildDeletePartitionColumnStatMessage(
                        event.getDBName(), event.getColName(), event.getPartName(), event.getPartVals()),
                event.getCatName(), event.getDBName(), event.getTableName());
    }

    @Override
    public void onOpenTxn(OpenTxnEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        // Read-only transactions change nothing a replica needs to see.
        if (event.getTxnType() == TxnType.READ_ONLY) {
            return;
        }
        List<Long> transactions = event.getTxnIds();
        NotificationEvent notification = notification(EventType.OPEN_TXN,
                MessageBuilder.getInstance().buildOpenTxnMessage(transactions.get(0), transactions.get(transactions.size() - 1)), null, null, null);
        recordOnConnection(List.of(notification), List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onCommitTxn(CommitTxnEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        if (event.getTxnType() == TxnType.READ_ONLY) {
            return;
        }
        NotificationEvent notification = notification(EventType.COMMIT_TXN,
                MessageBuilder.getInstance().buildCommitTxnMessage(event.getTxnId()), null, null, null);
        recordOnConnection(List.of(notification), List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onAbortTxn(AbortTxnEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        if (event.getTxnType() == TxnType.READ_ONLY) {
            return;
        }
        NotificationEvent notification = notification(EventType.ABORT_TXN,
                MessageBuilder.getInstance().buildAbortTxnMessage(event.getTxnId(), event.getDbsUpdated()), null, null, null);
        recordOnConnection(List.of(notification), List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onAllocWriteId(AllocWriteIdEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        // No catalog, as in DbNotificationListener: the event names only a database and a table.
        NotificationEvent notification = notification(EventType.ALLOC_WRITE_ID, MessageBuilder.getInstance()
                        .buildAllocWriteIdMessage(event.getTxnToWriteIdList(), event.getDbName(), event.getTableName()),
                null, event.getDbName(), event.getTableName());
        recordOnConnection(List.of(notification), List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onCommitCompaction(CommitCompactionEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        NotificationEvent notification = notification(EventType.COMMIT_COMPACTION,
                MessageBuilder.getInstance().buildCommitCompactionMessage(event), null, event.getDbname(), event.getTableName());
        recordOnConnection(List.of(notification), List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onAcidWrite(AcidWriteEvent event, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        recordWrites(List.of(event), connection, sqlGenerator);
    }

    @Override
    public void onBatchAcidWrite(BatchAcidWriteEvent batch, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        List<AcidWriteEvent> events = new ArrayList<>();
        for (int i = 0; i < batch.getNumRequest(); i++) {
            events.add(new AcidWriteEvent(batch.getPartition(i), batch.getTableObj(i), batch.getPartitionObj(i), batch.getNotificationRequest(i)));
        }
        recordWrites(events, connection, sqlGenerator);
    }

    /**
     * An ACID write is recorded in {@code TXN_WRITE_NOTIFICATION_LOG} (one row per table or partition and
     * transaction, its file list growing with each write), not in {@code NOTIFICATION_LOG}: Hive replication reads
     * the rows of a transaction when it replays the transaction's commit.
     */
    private void recordWrites(List<AcidWriteEvent> events, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        List<AcidWriteMessage> messages = new ArrayList<>();
        for (AcidWriteEvent event : events) {
            messages.add(MessageBuilder.getInstance().buildAcidWriteMessage(event,
                    new EncodedFiles(event.getFiles(), event.getChecksums(), event.getSubDirs())));
        }
        try {
            writeNotifications(events, messages, connection, sqlGenerator);
        }
        catch (SQLException e) {
            throw metaException("cannot write the ACID write notification log", e);
        }
    }

    private void record(ListenerEvent source, EventType type, EventMessage message, String catalog, String database, String table)
            throws MetaException
    {
        recordThroughRawStore(notification(type, message, catalog, database, table), source);
    }

    private NotificationEvent notification(EventType type, EventMessage message, String catalog, String database, String table)
    {
        NotificationEvent notification = new NotificationEvent(0, now(), type.toString(), encoder.getSerializer().serialize(message));
        notification.setMessageFormat(encoder.getMessageFormat());
        if (catalog != null) {
            notification.setCatName(catalog);
        }
        if (database != null) {
            notification.setDbName(database);
        }
        if (table != null) {
            notification.setTableName(table);
        }
        return notification;
    }

    /**
     * Through the thread's RawStore, whose transaction the metastore opened for the change being recorded:
     * {@code addNotificationEvent} joins it, so the event commits or rolls back with the change.
     */
    private void recordThroughRawStore(NotificationEvent notification, ListenerEvent source)
            throws MetaException
    {
        HMSHandler.getMSForConf(conf).addNotificationEvent(notification);
        publishEventId(notification, source);
    }

    /**
     * On the transaction handler's connection, inside its database transaction, with the SQL DbNotificationListener
     * uses; without a connection (the caller has none), through the RawStore.
     */
    private void recordOnConnection(List<NotificationEvent> notifications, List<? extends ListenerEvent> sources, Connection connection, SQLGenerator sqlGenerator)
            throws MetaException
    {
        if (connection == null || sqlGenerator == null) {
            for (int i = 0; i < notifications.size(); i++) {
                recordThroughRawStore(notifications.get(i), sources.get(i));
            }
            return;
        }
        try {
            if (sqlGenerator.getDbProduct().isMYSQL()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET @@session.sql_mode=ANSI_QUOTES");
                }
            }
            long eventId = nextEventIds(connection, sqlGenerator, notifications.size());
            long logId = nextSequenceValues(connection, sqlGenerator, NOTIFICATION_LOG_SEQUENCE, notifications.size());
            String insert = "INSERT INTO \"NOTIFICATION_LOG\" (\"NL_ID\", \"EVENT_ID\", \"EVENT_TIME\", \"EVENT_TYPE\", \"MESSAGE\", "
                    + "\"MESSAGE_FORMAT\", \"DB_NAME\", \"TBL_NAME\", \"CAT_NAME\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
            try (PreparedStatement statement = connection.prepareStatement(insert)) {
                int batched = 0;
                for (NotificationEvent notification : notifications) {
                    notification.setEventId(eventId);
                    statement.setLong(1, logId);
                    statement.setLong(2, eventId);
                    statement.setLong(3, notification.getEventTime());
                    statement.setString(4, notification.getEventType());
                    statement.setString(5, notification.getMessage());
                    statement.setString(6, notification.getMessageFormat());
                    statement.setString(7, notification.getDbName());
                    statement.setString(8, notification.getTableName());
                    statement.setString(9, notification.getCatName());
                    statement.addBatch();
                    batched++;
                    if (batched == maximumBatchSize) {
                        statement.executeBatch();
                        batched = 0;
                    }
                    eventId++;
                    logId++;
                }
                if (batched > 0) {
                    statement.executeBatch();
                }
            }
        }
        catch (SQLException e) {
            throw metaException("cannot write the notification log", e);
        }
        for (int i = 0; i < notifications.size(); i++) {
            publishEventId(notifications.get(i), sources.get(i));
        }
    }

    /** Takes {@code count} event ids from {@code NOTIFICATION_SEQUENCE}, locking its one row until the commit. */
    private static long nextEventIds(Connection connection, SQLGenerator sqlGenerator, int count)
            throws SQLException, MetaException
    {
        // Ferry binds to MySQL/MariaDB and PostgreSQL, where FOR UPDATE locks the row (DbNotificationListener
        // also locks the whole table on Derby, where it would not).
        long next;
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sqlGenerator.addForUpdateClause("SELECT \"NEXT_EVENT_ID\" FROM \"NOTIFICATION_SEQUENCE\""))) {
            if (!result.next()) {
                throw new MetaException("the metastore database has no NOTIFICATION_SEQUENCE row; cannot take the next event id");
            }
            next = result.getLong(1);
        }
        try (PreparedStatement statement = connection.prepareStatement("UPDATE \"NOTIFICATION_SEQUENCE\" SET \"NEXT_EVENT_ID\" = ?")) {
            statement.setLong(1, next + count);
            statement.executeUpdate();
        }
        return next;
    }

    /** Takes {@code count} values of a DataNucleus sequence in {@code SEQUENCE_TABLE}, locking its row until the commit. */
    private static long nextSequenceValues(Connection connection, SQLGenerator sqlGenerator, String sequence, int count)
            throws SQLException, MetaException
    {
        long next;
        try (PreparedStatement statement = connection.prepareStatement(
                sqlGenerator.addForUpdateClause("SELECT \"NEXT_VAL\" FROM \"SEQUENCE_TABLE\" WHERE \"SEQUENCE_NAME\" = ?"))) {
            statement.setString(1, sequence);
            try (ResultSet result = statement.executeQuery()) {
                if (!result.next()) {
                    throw new MetaException("the metastore database has no SEQUENCE_TABLE row for %s; cannot take the next id".formatted(sequence));
                }
                next = result.getLong(1);
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("UPDATE \"SEQUENCE_TABLE\" SET \"NEXT_VAL\" = ? WHERE \"SEQUENCE_NAME\" = ?")) {
            statement.setLong(1, next + count);
            statement.setString(2, sequence);
            statement.executeUpdate();
        }
        return next;
    }

    /**
     * Inserts a {@code TXN_WRITE_NOTIFICATION_LOG} row per table or partition and transaction, or adds the files to
     * the row a previous write of the same transaction left, as DbNotificationListener does.
     */
    private void writeNotifications(List<AcidWriteEvent> events, List<AcidWriteMessage> messages, Connection connection, SQLGenerator sqlGenerator)
            throws SQLException, MetaException
    {
        String prepare = sqlGenerator.getDbProduct().getPrepareTxnStmt();
        if (prepare != null) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(prepare);
            }
        }
        List<Integer> inserts = new ArrayList<>();
        Map<Integer, ExistingWriteNotification> updates = new LinkedHashMap<>();
        String select = sqlGenerator.addForUpdateClause("SELECT \"WNL_ID\", \"WNL_FILES\" FROM \"TXN_WRITE_NOTIFICATION_LOG\" "
                + "WHERE \"WNL_DATABASE\" = ? AND \"WNL_TABLE\" = ? AND \"WNL_PARTITION\" = ? AND \"WNL_TXNID\" = ?");
        try (PreparedStatement statement = connection.prepareStatement(select)) {
            for (int i = 0; i < events.size(); i++) {
                AcidWriteEvent event = events.get(i);
                statement.setString(1, event.getDatabase());
                statement.setString(2, event.getTable());
                statement.setString(3, event.getPartition());
                statement.setLong(4, event.getTxnId());
                try (ResultSet result = statement.executeQuery()) {
                    if (result.next()) {
                        updates.put(i, new ExistingWriteNotification(result.getLong(1), result.getString(2)));
                    }
                    else {
                        inserts.add(i);
                    }
                }
            }
        }
        if (!inserts.isEmpty()) {
            long id = nextSequenceValues(connection, sqlGenerator, WRITE_NOTIFICATION_LOG_SEQUENCE, inserts.size());
            String insert = "INSERT INTO \"TXN_WRITE_NOTIFICATION_LOG\" (\"WNL_ID\", \"WNL_TXNID\", \"WNL_WRITEID\", \"WNL_DATABASE\", "
                    + "\"WNL_TABLE\", \"WNL_PARTITION\", \"WNL_TABLE_OBJ\", \"WNL_PARTITION_OBJ\", \"WNL_FILES\", \"WNL_EVENT_TIME\") "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            try (PreparedStatement statement = connection.prepareStatement(sqlGenerator.addEscapeCharacters(insert))) {
                int batched = 0;
                for (int index : inserts) {
                    AcidWriteEvent event = events.get(index);
                    AcidWriteMessage message = messages.get(index);
                    statement.setLong(1, id++);
                    statement.setLong(2, event.getTxnId());
                    statement.setLong(3, event.getWriteId());
                    statement.setString(4, event.getDatabase());
                    statement.setString(5, event.getTable());
                    statement.setString(6, event.getPartition());
                    statement.setString(7, message.getTableObjStr());
                    statement.setString(8, message.getPartitionObjStr());
                    statement.setString(9, ReplChangeManager.joinWithSeparator(message.getFiles()));
                    statement.setInt(10, now());
                    statement.addBatch();
                    batched++;
                    if (batched == maximumBatchSize) {
                        statement.executeBatch();
                        batched = 0;
                    }
                }
                if (batched > 0) {
                    statement.executeBatch();
                }
            }
        }
        if (!updates.isEmpty()) {
            String update = "UPDATE \"TXN_WRITE_NOTIFICATION_LOG\" SET \"WNL_TABLE_OBJ\" = ?, \"WNL_PARTITION_OBJ\" = ?, "
                    + "\"WNL_FILES\" = ?, \"WNL_EVENT_TIME\" = ? WHERE \"WNL_ID\" = ?";
            try (PreparedStatement statement = connection.prepareStatement(sqlGenerator.addEscapeCharacters(update))) {
                int batched = 0;
                for (Map.Entry<Integer, ExistingWriteNotification> entry : updates.entrySet()) {
                    AcidWriteMessage message = messages.get(entry.getKey());
                    ExistingWriteNotification existing = entry.getValue();
                    String files = ReplChangeManager.joinWithSeparator(message.getFiles());
                    // A metastore call retried by its client writes the same files again.
                    if (existing.files().contains(sqlGenerator.addEscapeCharacters(files))) {
                        continue;
                    }
                    statement.setString(1, message.getTableObjStr());
                    statement.setString(2, message.getPartitionObjStr());
                    statement.setString(3, ReplChangeManager.joinWithSeparator(List.of(files, existing.files())));
                    statement.setInt(4, now());
                    statement.setLong(5, existing.id());
                    statement.addBatch();
                    batched++;
                    if (batched == maximumBatchSize) {
                        statement.executeBatch();
                        batched = 0;
                    }
                }
                if (batched > 0) {
                    statement.executeBatch();
                }
            }
        }
    }

    private record ExistingWriteNotification(long id, String files) {}

    /**
     * Tells the listeners after this one, and the caller ({@code fire_listener_event} returns it), the event id,
     * as DbNotificationListener does.
     */
    private static void publishEventId(NotificationEvent notification, ListenerEvent source)
    {
        if (notification.isSetEventId()) {
            source.putParameter(MetaStoreEventListenerConstants.DB_NOTIFICATION_EVENT_ID_KEY_NAME, Long.toString(notification.getEventId()));
        }
    }

    private String catalogOf(Database database)
    {
        return database.isSetCatalogName() ? database.getCatalogName() : getDefaultCatalog(conf);
    }

    private String catalogOf(Table table)
    {
        return table.isSetCatName() ? table.getCatName() : getDefaultCatalog(conf);
    }

    /** Seconds since the epoch, the unit of {@code NOTIFICATION_LOG.EVENT_TIME} (an int column). */
    private static int now()
    {
        return (int) Math.min(Integer.MAX_VALUE, System.currentTimeMillis() / 1000);
    }

    private static MetaException metaException(String message, SQLException cause)
    {
        log.warn("{}", message, cause);
        MetaException exception = new MetaException("%s: %s".formatted(message, cause.getMessage()));
        exception.initCause(cause);
        return exception;
    }

    /**
     * The data files directly under a table or partition location, hidden files left out, each encoded with its
     * checksum as Hive replication expects ({@code ReplChangeManager.encodeFileUri}).
     */
    private final class DataFiles
            implements Iterator<String>
    {
        private final FileSystem fileSystem;
        private final FileStatus[] files;
        private int next;

        DataFiles(String location)
        {
            if (location == null) {
                fileSystem = null;
                files = new FileStatus[0];
                return;
            }
            Path path = new Path(location);
            try {
                fileSystem = path.getFileSystem(conf);
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot list the files of " + location, e);
            }
            FileStatus[] listed;
            try {
                listed = fileSystem.listStatus(path, this::isDataFile);
            }
            catch (FileNotFoundException e) {
                // HMS makes no directory for a view, nor for a table created with a location that does not exist yet
                // (Hive's TestTablesCreateDropAlterTruncate.testCreateGetDeleteTable): no files, and no reason to fail
                // the change that a plain metastore makes.
                listed = new FileStatus[0];
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot list the files of " + location, e);
            }
            files = listed;
        }

        private boolean isDataFile(Path path)
        {
            try {
                String name = path.getName();
                return fileSystem.isFile(path) && !name.startsWith("_") && !name.startsWith(".");
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public boolean hasNext()
        {
            return next < files.length;
        }

        @Override
        public String next()
        {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Path path = files[next++].getPath();
            try {
                return ReplChangeManager.getInstance(conf).encodeFileUri(path.toString(), ReplChangeManager.checksumFor(path, fileSystem), null);
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot read the checksum of " + path, e);
            }
            catch (MetaException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }

    /**
     * The data files of each added partition; none for a transactional table, whose files ACID writes record, nor for
     * a view's partition.
     */
    private final class PartitionDataFiles
            implements Iterator<PartitionFiles>
    {
        private final Table table;
        private final Iterator<Partition> partitions;

        PartitionDataFiles(Table table, Iterator<Partition> partitions)
        {
            this.table = table;
            this.partitions = partitions;
        }

        @Override
        public boolean hasNext()
        {
            return partitions.hasNext();
        }

        @Override
        public PartitionFiles next()
        {
            Partition partition = partitions.next();
            Iterator<String> files;
            // A view's partitions have no storage descriptor, and no files (Hive's TestHiveMetaStore.testAlterViewParititon).
            if (TxnUtils.isTransactionalTable(table) || partition.getSd() == null) {
                files = Collections.emptyIterator();
            }
            else {
                List<String> listed = new ArrayList<>();
                new DataFiles(partition.getSd().getLocation()).forEachRemaining(listed::add);
                files = listed.iterator();
            }
            try {
                return new PartitionFiles(Warehouse.makePartName(table.getPartitionKeys(), partition.getValues()), files);
            }
            catch (MetaException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }

    /** Files a client reported with their checksums (and ACID subdirectories), encoded for Hive replication. */
    private final class EncodedFiles
            implements Iterator<String>
    {
        private final List<String> files;
        private final List<String> checksums;
        private final List<String> subdirectories;
        private int next;

        EncodedFiles(List<String> files, List<String> checksums, List<String> subdirectories)
        {
            this.files = files == null ? List.of() : files;
            this.checksums = checksums;
            this.subdirectories = subdirectories;
            if (checksums != null && !checksums.isEmpty() && checksums.size() != this.files.size()) {
                throw new IllegalArgumentException("%s files but %s checksums".formatted(this.files.size(), checksums.size()));
            }
        }

        @Override
        public boolean hasNext()
        {
            return next < files.size();
        }

        @Override
        public String next()
        {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int index = next++;
            String checksum = checksums == null || checksums.isEmpty() ? null : checksums.get(index);
            String subdirectory = subdirectories == null || subdirectories.isEmpty() ? null : subdirectories.get(index);
            try {
                return ReplChangeManager.getInstance(conf).encodeFileUri(files.get(index), checksum, subdirectory);
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot encode the file " + files.get(index), e);
            }
            catch (MetaException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }
}
