package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MIG_DATA_READ sizes against a simulated server holding a given number of bytes. */
class ReadSizerTest {

    /** @return the sizes requested to read {@code total} bytes to the end (a 0-byte reply) */
    private static List<Integer> requests(final ReadSizer s, final long total, final int room) {
        final List<Integer> asked = new ArrayList<>();
        long left = total;
        while (true) {
            final int want = s.size(room);
            asked.add(want);
            final int got = (int) Math.min(left, want);
            left -= got;
            s.replied(want, got);
            if (got == 0) {
                return asked;
            }
        }
    }

    @Test
    void unknownRemainderStartsSmallAndDoubles() {
        // full, full, then the end: the empty reply costs the doubled size, never more than twice the data
        assertThat(requests(new ReadSizer(1 << 20), 12 << 10, 1 << 20)).containsExactly(4096, 8192, 16384);
        assertThat(requests(new ReadSizer(1 << 20), 10 << 10, 1 << 20)).containsExactly(4096, 8192, 4096);
        final List<Integer> big = requests(new ReadSizer(1 << 20), 3L << 20, 1 << 20);
        assertThat(big.subList(0, 9)).containsExactly(4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288,
                1 << 20);
        assertThat(big).allMatch(n -> n <= 1 << 20);
    }

    @Test
    void aKnownRemainderIsAskedForWhole() {
        final ReadSizer s = new ReadSizer(1 << 20);
        s.expect(12 << 10);
        assertThat(requests(s, 12 << 10, 1 << 20)).containsExactly(12 << 10, 4096);
        s.expect(3L << 20);
        assertThat(requests(s, 3L << 20, 1 << 20)).containsExactly(1 << 20, 1 << 20, 1 << 20, 4096);
    }

    @Test
    void anUnderestimateFallsBackToGrowthAndTheCapsHold() {
        final ReadSizer s = new ReadSizer(1 << 20);
        s.expect(100);
        assertThat(requests(s, 20_000, 1 << 20)).containsExactly(4096, 4096, 8192, 16384, 4096);
        assertThat(requests(new ReadSizer(1000), 5000, 1 << 20)).allMatch(n -> n <= 1000);
        assertThat(requests(new ReadSizer(1 << 20), 5000, 512)).allMatch(n -> n <= 512);
    }
}
