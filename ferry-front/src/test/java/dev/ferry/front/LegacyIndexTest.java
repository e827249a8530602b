package dev.ferry.front;

import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.metastore.api.FieldSchema;
import org.apache.hadoop.hive.metastore.api.StorageDescriptor;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Hive 2.3's Index struct, read and written with the field ids of its IDL. */
class LegacyIndexTest
{
    @Test
    void writesAndReadsEveryField()
            throws TException
    {
        StorageDescriptor storage = new StorageDescriptor();
        storage.setCols(List.of(new FieldSchema("id", "bigint", null)));
        storage.setLocation("file:/warehouse/sales.db/sales__orders_by_name__");
        LegacyIndex index = new LegacyIndex("by_name", "org.apache.hadoop.hive.ql.index.compact.CompactIndexHandler", "sales",
                "orders", 1_700_000_000, 1_700_000_100, "sales__orders_by_name__", storage, Map.of("k", "v"), true);
        TMemoryBuffer buffer = new TMemoryBuffer(1024);
        index.write(new TBinaryProtocol(buffer));
        assertThat(LegacyIndex.read(new TBinaryProtocol(buffer))).isEqualTo(index);
    }

    @Test
    void readsTheFieldIdsOfHive23AndSkipsUnknownFields()
            throws TException
    {
        TMemoryBuffer buffer = new TMemoryBuffer(256);
        TBinaryProtocol out = new TBinaryProtocol(buffer);
        out.writeStructBegin(new TStruct("Index"));
        out.writeFieldBegin(new TField("indexName", TType.STRING, (short) 1));
        out.writeString("by_name");
        out.writeFieldEnd();
        out.writeFieldBegin(new TField("dbName", TType.STRING, (short) 3));
        out.writeString("sales");
        out.writeFieldEnd();
        out.writeFieldBegin(new TField("origTableName", TType.STRING, (short) 4));
        out.writeString("orders");
        out.writeFieldEnd();
        out.writeFieldBegin(new TField("fromTheFuture", TType.I64, (short) 42));
        out.writeI64(7);
        out.writeFieldEnd();
        out.writeFieldBegin(new TField("deferredRebuild", TType.BOOL, (short) 10));
        out.writeBool(true);
        out.writeFieldEnd();
        out.writeFieldStop();
        out.writeStructEnd();

        assertThat(LegacyIndex.read(new TBinaryProtocol(buffer)))
                .isEqualTo(new LegacyIndex("by_name", null, "sales", "orders", 0, 0, null, null, null, true));
    }
}
