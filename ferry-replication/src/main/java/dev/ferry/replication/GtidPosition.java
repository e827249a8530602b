package dev.ferry.replication;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A MariaDB GTID position ({@code gtid_binlog_pos}): for each replication domain, the sequence number of the last
 * transaction included, as in {@code 0-1-1234,1-2-17}. A transaction's GTID is {@code domain-server-sequence};
 * sequence numbers grow within a domain, so a position includes a transaction when its sequence is at most the
 * position's in its domain.
 */
public record GtidPosition(Map<Long, Long> sequenceByDomain)
{
    public static final GtidPosition EMPTY = new GtidPosition(Map.of());

    public GtidPosition
    {
        sequenceByDomain = Map.copyOf(requireNonNull(sequenceByDomain, "sequenceByDomain is null"));
    }

    public static GtidPosition parse(String text)
    {
        Map<Long, Long> sequences = new TreeMap<>();
        if (text != null && !text.isBlank()) {
            for (String gtid : text.split(",")) {
                Gtid parsed = Gtid.parse(gtid.trim());
                sequences.merge(parsed.domain(), parsed.sequence(), Math::max);
            }
        }
        return new GtidPosition(sequences);
    }

    /** Whether the transaction with this GTID is at or before this position. */
    public boolean includes(String gtid)
    {
        Gtid parsed = Gtid.parse(gtid);
        Long sequence = sequenceByDomain.get(parsed.domain());
        return sequence != null && parsed.sequence() <= sequence;
    }

    /** Whether every transaction included in the other position is included in this one. */
    public boolean includesAll(GtidPosition other)
    {
        for (Map.Entry<Long, Long> entry : other.sequenceByDomain.entrySet()) {
            Long sequence = sequenceByDomain.get(entry.getKey());
            if (sequence == null || sequence < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** This position moved past a transaction. */
    public GtidPosition advancedTo(String gtid)
    {
        Gtid parsed = Gtid.parse(gtid);
        Map<Long, Long> sequences = new TreeMap<>(sequenceByDomain);
        sequences.merge(parsed.domain(), parsed.sequence(), Math::max);
        return new GtidPosition(sequences);
    }

    @Override
    public String toString()
    {
        return new TreeMap<>(sequenceByDomain).entrySet().stream()
                .map(entry -> entry.getKey() + "-0-" + entry.getValue())
                .collect(Collectors.joining(","));
    }

    /** One GTID: domain, server id, sequence number. */
    public record Gtid(long domain, long server, long sequence)
    {
        public static Gtid parse(String text)
        {
            String[] parts = text.split("-");
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
    }
}
