package dev.tern.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IovaMapTest {
    private final IovaMap<String> map = new IovaMap<>();

    @Test
    void rangesDoNotOverlapAndAreFoundByAnyAddressInside() {
        assertThat(map.add(new DmaRange(0x1000, 0x1000), "a")).isNull();
        assertThat(map.add(new DmaRange(0x2000, 0x2000), "b")).isNull();
        assertThat(map.add(new DmaRange(0x8000, 0x1000), "c")).isNull();
        assertThat(map.add(new DmaRange(0x1800, 0x1000), "x").value()).isEqualTo("a");
        assertThat(map.add(new DmaRange(0x0, 0x1001), "x").value()).isEqualTo("a");
        assertThat(map.add(new DmaRange(0x3fff, 0x10), "x").value()).isEqualTo("b");
        assertThat(map.size()).isEqualTo(3);
        assertThat(map.containing(0xfff)).isNull();
        assertThat(map.containing(0x1000).value()).isEqualTo("a");
        assertThat(map.containing(0x3fff).value()).isEqualTo("b");
        assertThat(map.containing(0x4000)).isNull();
        assertThat(map.adjacent(map.containing(0x1000)).value()).isEqualTo("b");
        assertThat(map.adjacent(map.containing(0x2000))).isNull();
        assertThat(map.overlapping(new DmaRange(0x1fff, 0x6002))).extracting(IovaMap.Entry::value)
                .containsExactly("a", "b", "c");
    }

    @Test
    void removeWithinTakesWholeRangesAndRefusesACutUnlessAllowed() {
        map.add(new DmaRange(0x1000, 0x1000), "a");
        map.add(new DmaRange(0x2000, 0x2000), "b");
        assertThat(map.removeWithin(new DmaRange(0x1000, 0x2000), false)).isNull();
        assertThat(map.size()).isEqualTo(2);
        assertThat(map.removeWithin(new DmaRange(0x1000, 0x2000), true)).extracting(IovaMap.Entry::value)
                .containsExactly("a");
        assertThat(map.removeWithin(new DmaRange(0, 0x10000), false)).extracting(IovaMap.Entry::value)
                .containsExactly("b");
        assertThat(map.entries()).isEmpty();
    }
}
