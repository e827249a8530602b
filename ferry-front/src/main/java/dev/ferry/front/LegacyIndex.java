package dev.ferry.front;

import java.util.HashMap;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TMap;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;

/**
 * Hive 2.3's Thrift {@code Index} struct, which HMS 4.0 no longer has (Hive 3.0 removed indexes, HIVE-18448), read
 * and written field by field as in Hive 2.3's hive_metastore.thrift. Strings, the storage descriptor and the
 * parameters may be absent (null), as on the wire.
 */
public record LegacyIndex(
        String indexName,
        String indexHandlerClass,
        String databaseName,
        String originalTableName,
        int createTime,
        int lastAccessTime,
        String indexTableName,
        StorageDescriptor storageDescriptor,
        Map<String, String> parameters,
        boolean deferredRebuild)
{
    private static final TStruct STRUCT = new TStruct("Index");
    private static final TField INDEX_NAME = new TField("indexName", TType.STRING, (short) 1);
    private static final TField INDEX_HANDLER_CLASS = new TField("indexHandlerClass", TType.STRING, (short) 2);
    private static final TField DATABASE_NAME = new TField("dbName", TType.STRING, (short) 3);
    private static final TField ORIGINAL_TABLE_NAME = new TField("origTableName", TType.STRING, (short) 4);
    private static final TField CREATE_TIME = new TField("createTime", TType.I32, (short) 5);
    private static final TField LAST_ACCESS_TIME = new TField("lastAccessTime", TType.I32, (short) 6);
    private static final TField INDEX_TABLE_NAME = new TField("indexTableName", TType.STRING, (short) 7);
    private static final TField STORAGE_DESCRIPTOR = new TField("sd", TType.STRUCT, (short) 8);
    private static final TField PARAMETERS = new TField("parameters", TType.MAP, (short) 9);
    private static final TField DEFERRED_REBUILD = new TField("deferredRebuild", TType.BOOL, (short) 10);

    public LegacyIndex
    {
        // Thrift structs are mutable: keep copies, so the record stays a value.
        storageDescriptor = storageDescriptor == null ? null : new StorageDescriptor(storageDescriptor);
        parameters = parameters == null ? null : Map.copyOf(parameters);
    }

    @Override
    public StorageDescriptor storageDescriptor()
    {
        return storageDescriptor == null ? null : new StorageDescriptor(storageDescriptor);
    }

    /** Reads one {@code Index} struct; fields it does not know are skipped, as generated Thrift code does. */
    public static LegacyIndex read(TProtocol in)
            throws TException
    {
        String indexName = null;
        String indexHandlerClass = null;
        String databaseName = null;
        String originalTableName = null;
        int createTime = 0;
        int lastAccessTime = 0;
        String indexTableName = null;
        StorageDescriptor storageDescriptor = null;
        Map<String, String> parameters = null;
        boolean deferredRebuild = false;
        in.readStructBegin();
        for (TField field = in.readFieldBegin(); field.type != TType.STOP; field = in.readFieldBegin()) {
            if (field.id == INDEX_NAME.id && field.type == TType.STRING) {
                indexName = in.readString();
            }
            else if (field.id == INDEX_HANDLER_CLASS.id && field.type == TType.STRING) {
                indexHandlerClass = in.readString();
            }
            else if (field.id == DATABASE_NAME.id && field.type == TType.STRING) {
                databaseName = in.readString();
            }
            else if (field.id == ORIGINAL_TABLE_NAME.id && field.type == TType.STRING) {
                originalTableName = in.readString();
            }
            else if (field.id == CREATE_TIME.id && field.type == TType.I32) {
                createTime = in.readI32();
            }
            else if (field.id == LAST_ACCESS_TIME.id && field.type == TType.I32) {
                lastAccessTime = in.readI32();
            }
            else if (field.id == INDEX_TABLE_NAME.id && field.type == TType.STRING) {
                indexTableName = in.readString();
            }
            else if (field.id == STORAGE_DESCRIPTOR.id && field.type == TType.STRUCT) {
                storageDescriptor = new StorageDescriptor();
                storageDescriptor.read(in);
            }
            else if (field.id == PARAMETERS.id && field.type == TType.MAP) {
                TMap map = in.readMapBegin();
                parameters = new HashMap<>(2 * map.size);
                for (int i = 0; i < map.size; i++) {
                    String key = in.readString();
                    parameters.put(key, in.readString());
                }
                in.readMapEnd();
            }
            else if (field.id == DEFERRED_REBUILD.id && field.type == TType.BOOL) {
                deferredRebuild = in.readBool();
            }
            else {
                TProtocolUtil.skip(in, field.type);
            }
            in.readFieldEnd();
        }
        in.readStructEnd();
        return new LegacyIndex(indexName, indexHandlerClass, databaseName, originalTableName, createTime, lastAccessTime,
                indexTableName, storageDescriptor, parameters, deferredRebuild);
    }

    /** Writes this index as one {@code Index} struct, leaving absent fields out, as generated Thrift code does. */
    public void write(TProtocol out)
            throws TException
    {
        out.writeStructBegin(STRUCT);
        writeString(out, INDEX_NAME, indexName);
        writeString(out, INDEX_HANDLER_CLASS, indexHandlerClass);
        writeString(out, DATABASE_NAME, databaseName);
        writeString(out, ORIGINAL_TABLE_NAME, originalTableName);
        out.writeFieldBegin(CREATE_TIME);
        out.writeI32(createTime);
        out.writeFieldEnd();
        out.writeFieldBegin(LAST_ACCESS_TIME);
        out.writeI32(lastAccessTime);
        out.writeFieldEnd();
        writeString(out, INDEX_TABLE_NAME, indexTableName);
        if (storageDescriptor != null) {
            out.writeFieldBegin(STORAGE_DESCRIPTOR);
            storageDescriptor.write(out);
            out.writeFieldEnd();
        }
        if (parameters != null) {
            out.writeFieldBegin(PARAMETERS);
            out.writeMapBegin(new TMap(TType.STRING, TType.STRING, parameters.size()));
            for (Map.Entry<String, String> entry : parameters.entrySet()) {
                out.writeString(entry.getKey());
                out.writeString(entry.getValue());
            }
            out.writeMapEnd();
            out.writeFieldEnd();
        }
        out.writeFieldBegin(DEFERRED_REBUILD);
        out.writeBool(deferredRebuild);
        out.writeFieldEnd();
        out.writeFieldStop();
        out.writeStructEnd();
    }

    private static void writeString(TProtocol out, TField field, String value)
            throws TException
    {
        if (value != null) {
            out.writeFieldBegin(field);
            out.writeString(value);
            out.writeFieldEnd();
        }
    }
}
