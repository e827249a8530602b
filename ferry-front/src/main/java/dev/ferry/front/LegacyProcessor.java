package dev.ferry.front;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.hive.metastore.api.AlreadyExistsException;
import org.apache.hadoop.hive.metastore.api.InvalidObjectException;
import org.apache.hadoop.hive.metastore.api.InvalidOperationException;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.NoSuchObjectException;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolDecorator;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TTransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The Thrift processor of the front: serves the methods of {@link LegacyHmsApi}, which the generated HMS 4.0.1
 * processor does not know, and hands every other message to that processor unchanged, so an unknown name still
 * gets its {@code UNKNOWN_METHOD} error. Each legacy method is read and answered with the field ids and types of
 * Hive's IDL: Hive 3.1's for get_table and get_table_objects_by_name, Hive 2.3's for the index methods.
 */
final class LegacyProcessor
        implements TProcessor
{
    private static final Logger log = LoggerFactory.getLogger(LegacyProcessor.class);

    private final TProcessor current;
    private final LegacyHmsApi legacy;

    LegacyProcessor(TProcessor current, LegacyHmsApi legacy)
    {
        this.current = requireNonNull(current, "current is null");
        this.legacy = requireNonNull(legacy, "legacy is null");
    }

    /** The method names this processor answers itself. */
    static Set<String> methodNames()
    {
        return METHODS.keySet();
    }

    @Override
    public void process(TProtocol in, TProtocol out)
            throws TException
    {
        TMessage message = in.readMessageBegin();
        LegacyMethod method = METHODS.get(message.name);
        if (method == null) {
            current.process(new StoredMessageProtocol(in, message), out);
            return;
        }
        Map<Short, Object> arguments;
        try {
            arguments = method.readArguments(in);
        }
        catch (TProtocolException e) {
            in.readMessageEnd();
            reply(out, message, TMessageType.EXCEPTION, new TApplicationException(TApplicationException.PROTOCOL_ERROR, e.getMessage())::write);
            return;
        }
        in.readMessageEnd();

        Answer answer;
        byte type = TMessageType.REPLY;
        try {
            answer = method.result(method.invocation().call(legacy, new Arguments(arguments)));
        }
        catch (TTransportException e) {
            throw e;
        }
        catch (TApplicationException e) {
            answer = e::write;
            type = TMessageType.EXCEPTION;
        }
        catch (TException e) {
            Short fieldId = method.declaredExceptions().get(e.getClass());
            if (fieldId != null) {
                answer = method.failure(fieldId, (TBase<?, ?>) e);
            }
            else {
                // Not in the method's IDL: a client can only be told as generated Thrift servers tell it, with an
                // application error; ours names the cause instead of only "Internal error processing".
                answer = new TApplicationException(TApplicationException.INTERNAL_ERROR,
                        "Internal error processing %s: %s".formatted(message.name, e.getMessage()))::write;
                type = TMessageType.EXCEPTION;
            }
        }
        catch (RuntimeException e) {
            log.error("Legacy HMS call {} failed unexpectedly", message.name, e);
            answer = new TApplicationException(TApplicationException.INTERNAL_ERROR,
                    "Internal error processing %s: %s".formatted(message.name, e))::write;
            type = TMessageType.EXCEPTION;
        }
        if (message.type != TMessageType.ONEWAY) {
            reply(out, message, type, answer);
        }
    }

    private static void reply(TProtocol out, TMessage message, byte type, Answer answer)
            throws TException
    {
        out.writeMessageBegin(new TMessage(message.name, type, message.seqid));
        answer.write(out);
        out.writeMessageEnd();
        out.getTransport().flush();
    }

    // ---- The methods, as declared in Hive's IDL ----

    private static final Map<String, LegacyMethod> METHODS = methods();

    private static Map<String, LegacyMethod> methods()
    {
        Map<String, LegacyMethod> methods = new LinkedHashMap<>();
        add(methods, new LegacyMethod("get_table",
                List.of(argument("dbname", 1, Codec.STRING), argument("tbl_name", 2, Codec.STRING)),
                (api, arguments) -> api.get_table(arguments.string(1), arguments.string(2)),
                Codec.TABLE,
                Map.of(MetaException.class, (short) 1, NoSuchObjectException.class, (short) 2)));
        // Hive 3.1's IDL declares no exception here (Hive 2.3's declared three), so a Hive 3.1 server answers a
        // missing database with an application error; so does Ferry.
        add(methods, new LegacyMethod("get_table_objects_by_name",
                List.of(argument("dbname", 1, Codec.STRING), argument("tbl_names", 2, Codec.STRING_LIST)),
                (api, arguments) -> api.get_table_objects_by_name(arguments.string(1), arguments.stringList(2)),
                Codec.TABLE_LIST,
                Map.of()));
        add(methods, new LegacyMethod("add_index",
                List.of(argument("new_index", 1, Codec.INDEX), argument("index_table", 2, Codec.TABLE)),
                (api, arguments) -> api.add_index(arguments.index(1), arguments.table(2)),
                Codec.INDEX,
                Map.of(InvalidObjectException.class, (short) 1, AlreadyExistsException.class, (short) 2, MetaException.class, (short) 3)));
        add(methods, new LegacyMethod("alter_index",
                List.of(argument("dbname", 1, Codec.STRING), argument("base_tbl_name", 2, Codec.STRING),
                        argument("idx_name", 3, Codec.STRING), argument("new_idx", 4, Codec.INDEX)),
                (api, arguments) -> {
                    api.alter_index(arguments.string(1), arguments.string(2), arguments.string(3), arguments.index(4));
                    return null;
                },
                Codec.VOID,
                Map.of(InvalidOperationException.class, (short) 1, MetaException.class, (short) 2)));
        add(methods, new LegacyMethod("drop_index_by_name",
                List.of(argument("db_name", 1, Codec.STRING), argument("tbl_name", 2, Codec.STRING),
                        argument("index_name", 3, Codec.STRING), argument("deleteData", 4, Codec.BOOL)),
                (api, arguments) -> api.drop_index_by_name(arguments.string(1), arguments.string(2), arguments.string(3), arguments.bool(4)),
                Codec.BOOL,
                Map.of(NoSuchObjectException.class, (short) 1, MetaException.class, (short) 2)));
        add(methods, new LegacyMethod("get_index_by_name",
                List.of(argument("db_name", 1, Codec.STRING), argument("tbl_name", 2, Codec.STRING), argument("index_name", 3, Codec.STRING)),
                (api, arguments) -> api.get_index_by_name(arguments.string(1), arguments.string(2), arguments.string(3)),
                Codec.INDEX,
                Map.of(MetaException.class, (short) 1, NoSuchObjectException.class, (short) 2)));
        add(methods, new LegacyMethod("get_indexes",
                List.of(argument("db_name", 1, Codec.STRING), argument("tbl_name", 2, Codec.STRING), argument("max_indexes", 3, Codec.I16)),
                (api, arguments) -> api.get_indexes(arguments.string(1), arguments.string(2), arguments.maxCount(3)),
                Codec.INDEX_LIST,
                Map.of(NoSuchObjectException.class, (short) 1, MetaException.class, (short) 2)));
        // The IDL calls this exception o2 but gives it field id 1.
        add(methods, new LegacyMethod("get_index_names",
                List.of(argument("db_name", 1, Codec.STRING), argument("tbl_name", 2, Codec.STRING), argument("max_indexes", 3, Codec.I16)),
                (api, arguments) -> api.get_index_names(arguments.string(1), arguments.string(2), arguments.maxCount(3)),
                Codec.STRING_LIST,
                Map.of(MetaException.class, (short) 1)));
        return Map.copyOf(methods);
    }

    private static void add(Map<String, LegacyMethod> methods, LegacyMethod method)
    {
        if (methods.put(method.name(), method) != null) {
            throw new IllegalStateException("legacy HMS method %s is defined twice".formatted(method.name()));
        }
    }

    private static Argument argument(String name, int id, Codec codec)
    {
        return new Argument(new TField(name, codec.type(), (short) id), codec);
    }

    private record Argument(TField field, Codec codec) {}

    @FunctionalInterface
    private interface Invocation
    {
        Object call(LegacyHmsApi api, Arguments arguments)
                throws TException;
    }

    /** One method: its arguments struct, the call, its success type and the exceptions its IDL declares. */
    private record LegacyMethod(String name, List<Argument> arguments, Invocation invocation, Codec success,
            Map<Class<? extends TException>, Short> declaredExceptions)
    {
        Map<Short, Object> readArguments(TProtocol in)
                throws TException
        {
            Map<Short, Argument> byId = new HashMap<>();
            for (Argument argument : arguments) {
                byId.put(argument.field().id, argument);
            }
            Map<Short, Object> values = new HashMap<>();
            in.readStructBegin();
            for (TField field = in.readFieldBegin(); field.type != TType.STOP; field = in.readFieldBegin()) {
                Argument argument = byId.get(field.id);
                if (argument != null && argument.field().type == field.type) {
                    values.put(field.id, argument.codec().read(in));
                }
                else {
                    TProtocolUtil.skip(in, field.type);
                }
                in.readFieldEnd();
            }
            in.readStructEnd();
            return values;
        }

        /** The result struct with its success field; left out when null (a void method), as generated code does. */
        Answer result(Object value)
        {
            return out -> writeResult(out, new TField("success", success.type(), (short) 0), success, value);
        }

        /** The result struct with one declared exception, in the field the IDL gives it. */
        Answer failure(short fieldId, TBase<?, ?> exception)
        {
            return out -> writeResult(out, new TField("o" + fieldId, TType.STRUCT, fieldId), Codec.EXCEPTION, exception);
        }

        private void writeResult(TProtocol out, TField field, Codec codec, Object value)
                throws TException
        {
            out.writeStructBegin(new TStruct(name + "_result"));
            if (value != null) {
                out.writeFieldBegin(field);
                codec.write(out, value);
                out.writeFieldEnd();
            }
            out.writeFieldStop();
            out.writeStructEnd();
        }
    }

    /** The arguments a client sent, by field id; an argument it left out reads as Thrift's default. */
    private record Arguments(Map<Short, Object> values)
    {
        String string(int id)
        {
            return (String) values.get((short) id);
        }

        @SuppressWarnings("unchecked")
        List<String> stringList(int id)
        {
            return (List<String>) values.get((short) id);
        }

        boolean bool(int id)
        {
            return Boolean.TRUE.equals(values.get((short) id));
        }

        /** max_indexes, whose IDL default is -1 (all). */
        short maxCount(int id)
        {
            Object value = values.get((short) id);
            return value == null ? -1 : (Short) value;
        }

        LegacyIndex index(int id)
        {
            return (LegacyIndex) values.get((short) id);
        }

        Table table(int id)
        {
            return (Table) values.get((short) id);
        }
    }

    /** How a value of one Thrift type is read and written. */
    private enum Codec
    {
        VOID(TType.VOID),
        BOOL(TType.BOOL),
        I16(TType.I16),
        STRING(TType.STRING),
        STRING_LIST(TType.LIST),
        TABLE(TType.STRUCT),
        TABLE_LIST(TType.LIST),
        INDEX(TType.STRUCT),
        INDEX_LIST(TType.LIST),
        EXCEPTION(TType.STRUCT);

        private final byte type;

        Codec(byte type)
        {
            this.type = type;
        }

        byte type()
        {
            return type;
        }

        Object read(TProtocol in)
                throws TException
        {
            return switch (this) {
                case BOOL -> in.readBool();
                case I16 -> in.readI16();
                case STRING -> in.readString();
                case STRING_LIST -> {
                    TList list = in.readListBegin();
                    List<String> values = new ArrayList<>(list.size);
                    for (int i = 0; i < list.size; i++) {
                        values.add(in.readString());
                    }
                    in.readListEnd();
                    yield values;
                }
                case TABLE -> {
                    Table table = new Table();
                    table.read(in);
                    yield table;
                }
                case INDEX -> LegacyIndex.read(in);
                case VOID, TABLE_LIST, INDEX_LIST, EXCEPTION -> throw new IllegalStateException("no legacy method takes an argument of type " + this);
            };
        }

        @SuppressWarnings("unchecked")
        void write(TProtocol out, Object value)
                throws TException
        {
            switch (this) {
                case BOOL -> out.writeBool((Boolean) value);
                case I16 -> out.writeI16((Short) value);
                case STRING -> out.writeString((String) value);
                case STRING_LIST -> {
                    List<String> values = (List<String>) value;
                    out.writeListBegin(new TList(TType.STRING, values.size()));
                    for (String element : values) {
                        out.writeString(element);
                    }
                    out.writeListEnd();
                }
                case TABLE, EXCEPTION -> ((TBase<?, ?>) value).write(out);
                case TABLE_LIST -> {
                    List<Table> tables = (List<Table>) value;
                    out.writeListBegin(new TList(TType.STRUCT, tables.size()));
                    for (Table table : tables) {
                        table.write(out);
                    }
                    out.writeListEnd();
                }
                case INDEX -> ((LegacyIndex) value).write(out);
                case INDEX_LIST -> {
                    List<LegacyIndex> indexes = (List<LegacyIndex>) value;
                    out.writeListBegin(new TList(TType.STRUCT, indexes.size()));
                    for (LegacyIndex index : indexes) {
                        index.write(out);
                    }
                    out.writeListEnd();
                }
                case VOID -> throw new IllegalStateException("a void result has no value");
            }
        }
    }

    /** Something written as the body of a reply message: a result struct or an application error. */
    @FunctionalInterface
    private interface Answer
    {
        void write(TProtocol out)
                throws TException;
    }

    /** Hands the message header, already read, to the 4.0.1 processor as if it were read now. */
    private static final class StoredMessageProtocol
            extends TProtocolDecorator
    {
        private final TMessage message;

        StoredMessageProtocol(TProtocol protocol, TMessage message)
        {
            super(protocol);
            this.message = message;
        }

        @Override
        public TMessage readMessageBegin()
        {
            return message;
        }
    }
}
