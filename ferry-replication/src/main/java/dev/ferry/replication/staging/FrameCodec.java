package dev.ferry.replication.staging;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one staging-log frame's payload: a source transaction and its row changes, each value tagged with
 * its canonical type. The frame around it (length, CRC-32) is written by {@link StagingLogWriter}. Format
 * (big-endian), documented in docs/REPLICATION.md:
 *
 * <pre>
 * payload     := version:u8(=1) gtid:str binlogFile:str binlogPosition:i64 commitMillis:i64 changes:i32 change*
 * change      := table:str operation:u8('c'|'u'|'d') before:values after:values
 * values      := count:i32 value*
 * value       := tag:u8 body   -- 0 null, 1 i64, 2 str, 3 bytes (i32 length + bytes), 4 boolean u8,
 *                                 5 f64, 6 timestamp (i64 epoch second, i32 nano, UTC)
 * str         := length:i32 utf8-bytes
 * </pre>
 */
final class FrameCodec
{
    static final int VERSION = 1;

    private FrameCodec() {}

    static byte[] encode(SourceTransaction transaction)
    {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            writeString(out, transaction.gtid());
            writeString(out, transaction.binlogFile());
            out.writeLong(transaction.binlogPosition());
            out.writeLong(transaction.commitMillis());
            out.writeInt(transaction.changes().size());
            for (RowChange change : transaction.changes()) {
                writeString(out, change.table());
                out.writeByte(change.operation().code());
                writeValues(out, change.before());
                writeValues(out, change.after());
            }
            out.flush();
            return bytes.toByteArray();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SourceTransaction decode(byte[] payload)
    {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalStateException("staging frame version %s is not %s".formatted(version, VERSION));
            }
            String gtid = readString(in);
            String file = readString(in);
            long position = in.readLong();
            long commitMillis = in.readLong();
            int count = in.readInt();
            List<RowChange> changes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String table = readString(in);
                RowChange.Operation operation = RowChange.Operation.of((char) in.readUnsignedByte());
                changes.add(new RowChange(table, operation, readValues(in), readValues(in)));
            }
            return new SourceTransaction(gtid, file, position, commitMillis, changes);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeValues(DataOutputStream out, List<Object> values)
            throws IOException
    {
        out.writeInt(values.size());
        for (Object value : values) {
            if (value == null) {
                out.writeByte(0);
            }
            else if (value instanceof Long number) {
                out.writeByte(1);
                out.writeLong(number);
            }
            else if (value instanceof String text) {
                out.writeByte(2);
                writeString(out, text);
            }
            else if (value instanceof byte[] data) {
                out.writeByte(3);
                out.writeInt(data.length);
                out.write(data);
            }
            else if (value instanceof Boolean bit) {
                out.writeByte(4);
                out.writeByte(bit ? 1 : 0);
            }
            else if (value instanceof Double number) {
                out.writeByte(5);
                out.writeDouble(number);
            }
            else if (value instanceof LocalDateTime timestamp) {
                out.writeByte(6);
                out.writeLong(timestamp.toEpochSecond(ZoneOffset.UTC));
                out.writeInt(timestamp.getNano());
            }
            else {
                throw new IllegalArgumentException("cannot stage a value of type " + value.getClass().getName());
            }
        }
    }

    private static List<Object> readValues(DataInputStream in)
            throws IOException
    {
        int count = in.readInt();
        List<Object> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int tag = in.readUnsignedByte();
            values.add(switch (tag) {
                case 0 -> null;
                case 1 -> in.readLong();
                case 2 -> readString(in);
                case 3 -> {
                    byte[] data = new byte[in.readInt()];
                    in.readFully(data);
                    yield data;
                }
                case 4 -> in.readUnsignedByte() != 0;
                case 5 -> in.readDouble();
                case 6 -> LocalDateTime.ofEpochSecond(in.readLong(), in.readInt(), ZoneOffset.UTC);
                default -> throw new IllegalStateException("unknown staged value tag " + tag);
            });
        }
        return values;
    }

    private static void writeString(DataOutputStream out, String text)
            throws IOException
    {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in)
            throws IOException
    {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static ByteBuffer header(int length, int crc)
    {
        return ByteBuffer.allocate(8).putInt(length).putInt(crc).flip();
    }
}
