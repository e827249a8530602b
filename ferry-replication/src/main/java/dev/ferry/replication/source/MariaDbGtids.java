package dev.ferry.replication.source;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A MariaDB GTID position ({@code @@gtid_binlog_pos}): for each replication domain, the last transaction included,
 * as in {@code 0-1-1234,1-2-17}. A transaction's GTID is {@code domain-server-sequence}; sequence numbers grow within
 * a domain, so a position includes a transaction when its sequence is at most the position's in its domain. The
 * server id is kept as the server wrote it: a replica that resumes from a position names it by its full GTIDs.
 */
public record MariaDbGtids(Map<Long, Gtid> lastByDomain)
        implements SourcePosition
{
    static final Pattern GTID = SourcePosition.whole("\\d+-\\d+-\\d+");
    private static final Pattern POSITION = SourcePosition.whole("\\d+-\\d+-\\d+(,\\d+-\\d+-\\d+)*");

    /** One GTID: domain, server id, sequence number. */
    public record Gtid(long domain, long server, long sequence)
    {
        static Gtid parse(String text)
        {
            String[] parts = text.trim().split("-");
            if (parts.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID: " + text);
            }
            try {
                return new Gtid(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID: " + text, e);
            }
        }

        @Override
        public String toString()
        {
            return domain + "-" + server + "-" + sequence;
        }
    }

    public MariaDbGtids
    {
        lastByDomain = Map.copyOf(requireNonNull(lastByDomain, "lastByDomain is null"));
    }

    static boolean looksLike(String text)
    {
        return POSITION.matcher(text).matches();
    }

    public static MariaDbGtids parse(String text)
    {
        Map<Long, Gtid> last = new TreeMap<>();
        for (String member : text.split(",")) {
            Gtid gtid = Gtid.parse(member);
            last.merge(gtid.domain(), gtid, MariaDbGtids::later);
        }
        return new MariaDbGtids(last);
    }

    private static Gtid later(Gtid left, Gtid right)
    {
        return right.sequence() > left.sequence() ? right : left;
    }

    @Override
    public boolean includes(String transaction)
    {
        Gtid gtid = gtid(transaction);
        Gtid last = lastByDomain.get(gtid.domain());
        return last != null && gtid.sequence() <= last.sequence();
    }

    @Override
    public boolean includesAll(SourcePosition other)
    {
        if (other instanceof Empty) {
            return true;
        }
        if (!(other instanceof MariaDbGtids gtids)) {
            throw SourcePosition.incomparable(this, other);
        }
        for (Gtid wanted : gtids.lastByDomain.values()) {
            Gtid last = lastByDomain.get(wanted.domain());
            if (last == null || last.sequence() < wanted.sequence()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public SourcePosition advancedTo(String transaction)
    {
        Gtid gtid = gtid(transaction);
        Map<Long, Gtid> last = new TreeMap<>(lastByDomain);
        last.merge(gtid.domain(), gtid, MariaDbGtids::later);
        return new MariaDbGtids(last);
    }

    @Override
    public SourcePosition union(SourcePosition other)
    {
        if (other instanceof Empty) {
            return this;
        }
        if (!(other instanceof MariaDbGtids gtids)) {
            throw SourcePosition.incomparable(this, other);
        }
        Map<Long, Gtid> last = new TreeMap<>(lastByDomain);
        gtids.lastByDomain.values().forEach(gtid -> last.merge(gtid.domain(), gtid, MariaDbGtids::later));
        return new MariaDbGtids(last);
    }

    private Gtid gtid(String transaction)
    {
        if (!GTID.matcher(transaction).matches()) {
            throw SourcePosition.incomparable(this, transaction);
        }
        return Gtid.parse(transaction);
    }

    @Override
    public String toString()
    {
        return new TreeMap<>(lastByDomain).values().stream().map(Gtid::toString).collect(Collectors.joining(","));
    }
}
