package dev.ferry.front;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.InvalidObjectException;
import org.apache.hadoop.hive.metastore.api.InvalidOperationException;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TSocket;

/**
 * A Thrift client for the methods HMS 4.0 removed, written by hand from Hive's IDL with the binary protocol and
 * nothing of Ferry's own codecs, so that a wrong field id or type on either side shows. Like a generated client,
 * a call returns the success value or throws the declared exception or the application error it got.
 */
final class RawThriftClient
        implements AutoCloseable
{
    private final TSocket socket;
    private final TProtocol protocol;
    private int sequence;

    private RawThriftClient(TSocket socket)
    {
        this.socket = socket;
        this.protocol = new TBinaryProtocol(socket);
    }

    static RawThriftClient connect(int port)
            throws TException
    {
        TSocket socket = new TSocket("127.0.0.1", port, 60_000);
        socket.open();
        return new RawThriftClient(socket);
    }

    /** Hive 2.3/3.1 get_table(1: string dbname, 2: string tbl_name) throws (1: MetaException, 2: NoSuchObjectException). */
    Table table(String databaseName, String tableName)
            throws TException
    {
        return (Table) call("get_table", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
        }, Map.of((short) 0, RawThriftClient::readTable, (short) 1, exception(MetaException::new), (short) 2, exception(NoSuchObjectException::new)));
    }

    /** Hive 3.1 get_table_objects_by_name(1: string dbname, 2: list&lt;string&gt; tbl_names), which declares no exception. */
    @SuppressWarnings("unchecked")
    List<Table> tableObjectsByName(String databaseName, List<String> tableNames)
            throws TException
    {
        return (List<Table>) call("get_table_objects_by_name", out -> {
            string(out, 1, databaseName);
            out.writeFieldBegin(new TField("tbl_names", TType.LIST, (short) 2));
            out.writeListBegin(new TList(TType.STRING, tableNames.size()));
            for (String name : tableNames) {
                out.writeString(name);
            }
            out.writeListEnd();
            out.writeFieldEnd();
        }, Map.of((short) 0, in -> {
            TList list = in.readListBegin();
            List<Table> tables = new ArrayList<>();
            for (int i = 0; i < list.size; i++) {
                tables.add((Table) readTable(in));
            }
            in.readListEnd();
            return tables;
        }));
    }

    /**
     * Hive 2.3 add_index(1: Index new_index, 2: Table index_table) throws (1: InvalidObjectException,
     * 2: AlreadyExistsException, 3: MetaException); the Index carries indexName (1), dbName (3), origTableName (4).
     */
    Object addIndex(String databaseName, String tableName, String indexName, Table indexTable)
            throws TException
    {
        return call("add_index", out -> {
            out.writeFieldBegin(new TField("new_index", TType.STRUCT, (short) 1));
            out.writeStructBegin(new TStruct("Index"));
            string(out, 1, indexName);
            string(out, 2, "org.apache.hadoop.hive.ql.index.compact.CompactIndexHandler");
            string(out, 3, databaseName);
            string(out, 4, tableName);
            out.writeFieldBegin(new TField("createTime", TType.I32, (short) 5));
            out.writeI32(0);
            out.writeFieldEnd();
            out.writeFieldBegin(new TField("deferredRebuild", TType.BOOL, (short) 10));
            out.writeBool(true);
            out.writeFieldEnd();
            out.writeFieldStop();
            out.writeStructEnd();
            out.writeFieldEnd();
            out.writeFieldBegin(new TField("index_table", TType.STRUCT, (short) 2));
            indexTable.write(out);
            out.writeFieldEnd();
        }, Map.of((short) 0, RawThriftClient::skipStruct, (short) 1, exception(InvalidObjectException::new),
                (short) 2, exception(AlreadyExistsException::new), (short) 3, exception(MetaException::new)));
    }

    /** Hive 2.3 alter_index(1: dbname, 2: base_tbl_name, 3: idx_name, 4: Index new_idx) throws (1: InvalidOperationException, 2: MetaException). */
    void alterIndex(String databaseName, String tableName, String indexName)
            throws TException
    {
        call("alter_index", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
            string(out, 3, indexName);
            out.writeFieldBegin(new TField("new_idx", TType.STRUCT, (short) 4));
            out.writeStructBegin(new TStruct("Index"));
            string(out, 1, indexName);
            out.writeFieldStop();
            out.writeStructEnd();
            out.writeFieldEnd();
        }, Map.of((short) 1, exception(InvalidOperationException::new), (short) 2, exception(MetaException::new)));
    }

    /** Hive 2.3 drop_index_by_name(1: db_name, 2: tbl_name, 3: index_name, 4: bool deleteData) throws (1: NoSuchObjectException, 2: MetaException). */
    boolean dropIndexByName(String databaseName, String tableName, String indexName)
            throws TException
    {
        return (Boolean) call("drop_index_by_name", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
            string(out, 3, indexName);
            out.writeFieldBegin(new TField("deleteData", TType.BOOL, (short) 4));
            out.writeBool(true);
            out.writeFieldEnd();
        }, Map.of((short) 0, TProtocol::readBool, (short) 1, exception(NoSuchObjectException::new), (short) 2, exception(MetaException::new)));
    }

    /** Hive 2.3 get_index_by_name(1: db_name, 2: tbl_name, 3: index_name) throws (1: MetaException, 2: NoSuchObjectException). */
    Object indexByName(String databaseName, String tableName, String indexName)
            throws TException
    {
        return call("get_index_by_name", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
            string(out, 3, indexName);
        }, Map.of((short) 0, RawThriftClient::skipStruct, (short) 1, exception(MetaException::new), (short) 2, exception(NoSuchObjectException::new)));
    }

    /** Hive 2.3 get_indexes(1: db_name, 2: tbl_name, 3: i16 max_indexes) throws (1: NoSuchObjectException, 2: MetaException); the count of indexes. */
    int indexes(String databaseName, String tableName)
            throws TException
    {
        return (Integer) call("get_indexes", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
            out.writeFieldBegin(new TField("max_indexes", TType.I16, (short) 3));
            out.writeI16((short) -1);
            out.writeFieldEnd();
        }, Map.of((short) 0, in -> {
            TList list = in.readListBegin();
            for (int i = 0; i < list.size; i++) {
                skipStruct(in);
            }
            in.readListEnd();
            return list.size;
        }, (short) 1, exception(NoSuchObjectException::new), (short) 2, exception(MetaException::new)));
    }

    /** Hive 2.3 get_index_names(1: db_name, 2: tbl_name, 3: i16 max_indexes) throws (1: MetaException). */
    @SuppressWarnings("unchecked")
    List<String> indexNames(String databaseName, String tableName)
            throws TException
    {
        return (List<String>) call("get_index_names", out -> {
            string(out, 1, databaseName);
            string(out, 2, tableName);
        }, Map.of((short) 0, in -> {
            TList list = in.readListBegin();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < list.size; i++) {
                names.add(in.readString());
            }
            in.readListEnd();
            return names;
        }, (short) 1, exception(MetaException::new)));
    }

    /** A call with no arguments and no result fields, to a method of any name: one the server may not know. */
    void callWithoutArguments(String method)
            throws TException
    {
        call(method, out -> {}, Map.of());
    }

    @FunctionalInterface
    interface ArgumentsWriter
    {
        void write(TProtocol out)
                throws TException;
    }

    @FunctionalInterface
    interface FieldReader
    {
        Object read(TProtocol in)
                throws TException;
    }

    private Object call(String method, ArgumentsWriter arguments, Map<Short, FieldReader> resultFields)
            throws TException
    {
        int seqid = ++sequence;
        protocol.writeMessageBegin(new TMessage(method, TMessageType.CALL, seqid));
        protocol.writeStructBegin(new TStruct(method + "_args"));
        arguments.write(protocol);
        protocol.writeFieldStop();
        protocol.writeStructEnd();
        protocol.writeMessageEnd();
        protocol.getTransport().flush();

        TMessage reply = protocol.readMessageBegin();
        if (reply.seqid != seqid || !reply.name.equals(method)) {
            throw new IllegalStateException("reply %s to call %s %s".formatted(reply, method, seqid));
        }
        if (reply.type == TMessageType.EXCEPTION) {
            TApplicationException error = TApplicationException.readFrom(protocol);
            protocol.readMessageEnd();
            throw error;
        }
        Map<Short, Object> fields = new HashMap<>();
        protocol.readStructBegin();
        for (TField field = protocol.readFieldBegin(); field.type != TType.STOP; field = protocol.readFieldBegin()) {
            FieldReader reader = resultFields.get(field.id);
            if (reader == null) {
                throw new IllegalStateException("%s result has field %s, which the IDL does not declare".formatted(method, field));
            }
            fields.put(field.id, reader.read(protocol));
            protocol.readFieldEnd();
        }
        protocol.readStructEnd();
        protocol.readMessageEnd();
        if (fields.size() > 1) {
            throw new IllegalStateException("%s result has more than one field set: %s".formatted(method, fields.keySet()));
        }
        for (Object value : fields.values()) {
            if (value instanceof TException exception) {
                throw exception;
            }
            return value;
        }
        return null;
    }

    private static void string(TProtocol out, int id, String value)
            throws TException
    {
        out.writeFieldBegin(new TField("field" + id, TType.STRING, (short) id));
        out.writeString(value);
        out.writeFieldEnd();
    }

    private static Object readTable(TProtocol in)
            throws TException
    {
        Table table = new Table();
        table.read(in);
        return table;
    }

    private static Object skipStruct(TProtocol in)
            throws TException
    {
        TProtocolUtil.skip(in, TType.STRUCT);
        return "a struct";
    }

    private static <E extends TException & TBase<?, ?>> FieldReader exception(java.util.function.Supplier<E> empty)
    {
        return in -> {
            E exception = empty.get();
            exception.read(in);
            return exception;
        };
    }

    @Override
    public void close()
    {
        socket.close();
    }
}
