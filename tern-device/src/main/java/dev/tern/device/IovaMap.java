package dev.tern.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Non-overlapping IOVA ranges, each with a value: the one home of "which mapping holds this address", for the
 * device's {@link DmaSpace} and for a vfio-user client's view of the memory it mapped.
 *
 * <p>A skip list keyed by the first IOVA: adding, removing and finding a range cost O(log n), so a VMM that maps
 * 65,535 ranges (vfio-user's default {@code max_dma_maps}) pays O(n log n) in total, not the O(n^2) of copying a
 * sorted array per map. Lookups take no lock and never block a writer; writers are serialised. A reader racing a
 * change sees each range either before or after it, never half of one.
 *
 * @param <T> what each range maps to
 */
public final class IovaMap<T> {

    /**
     * One range and its value.
     *
     * @param range the IOVA range
     * @param value what it maps to
     * @param <T>   the value type
     */
    public record Entry<T>(DmaRange range, T value) {
    }

    private final ConcurrentSkipListMap<Long, Entry<T>> byIova = new ConcurrentSkipListMap<>();

    /** An empty map. */
    public IovaMap() {
    }

    /**
     * Adds a range unless it overlaps one already present.
     *
     * @param range the range to add
     * @param value what it maps to
     * @return null when added, else the entry it overlaps (nothing changed)
     */
    public synchronized Entry<T> add(final DmaRange range, final T value) {
        final Map.Entry<Long, Entry<T>> below = byIova.floorEntry(range.iova());
        if (below != null && below.getValue().range().overlaps(range)) {
            return below.getValue();
        }
        final Map.Entry<Long, Entry<T>> above = byIova.ceilingEntry(range.iova());
        if (above != null && above.getValue().range().overlaps(range)) {
            return above.getValue();
        }
        byIova.put(range.iova(), new Entry<>(range, value));
        return null;
    }

    /**
     * {@return the entry whose range contains {@code iova}, or null}
     *
     * @param iova the address looked up
     */
    public Entry<T> containing(final long iova) {
        final Map.Entry<Long, Entry<T>> e = byIova.floorEntry(iova);
        return e != null && iova < e.getValue().range().end() ? e.getValue() : null;
    }

    /**
     * {@return the entry that starts exactly where {@code previous} ends (contiguous IOVA), or null}
     *
     * @param previous an entry of this map
     */
    public Entry<T> adjacent(final Entry<T> previous) {
        return byIova.get(previous.range().end());
    }

    /**
     * {@return the entries sharing at least one byte with {@code range}, in IOVA order}
     *
     * @param range the range looked up
     */
    public List<Entry<T>> overlapping(final DmaRange range) {
        final Long from = byIova.floorKey(range.iova());
        final List<Entry<T>> out = new ArrayList<>();
        for (final Entry<T> e : byIova.subMap(from == null ? range.iova() : from, range.end()).values()) {
            if (e.range().overlaps(range)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Removes every entry inside {@code range}.
     *
     * @param cutAllowed false to refuse (and change nothing) when {@code range} cuts through an entry
     * @param range the range to clear
     * @return the entries removed, or null if {@code range} cuts one and {@code cutAllowed} is false
     */
    public synchronized List<Entry<T>> removeWithin(final DmaRange range, final boolean cutAllowed) {
        final List<Entry<T>> inside = new ArrayList<>();
        for (final Entry<T> e : overlapping(range)) {
            if (range.contains(e.range().iova(), e.range().length())) {
                inside.add(e);
            } else if (!cutAllowed) {
                return null;
            }
        }
        inside.forEach(e -> byIova.remove(e.range().iova()));
        return inside;
    }

    /** Removes everything. */
    public synchronized void clear() {
        byIova.clear();
    }

    /** {@return the entries in IOVA order (a snapshot)} */
    public List<Entry<T>> entries() {
        return List.copyOf(byIova.values());
    }

    /** {@return how many ranges are present} */
    public int size() {
        return byIova.size();
    }

    @Override
    public String toString() {
        return byIova.values().toString();
    }
}
