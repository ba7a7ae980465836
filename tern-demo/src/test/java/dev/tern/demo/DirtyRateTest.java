package dev.tern.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --dirty-rate}: a percentage or an absolute rate. */
class DirtyRateTest {

    @ParameterizedTest
    @CsvSource(textBlock = """
            # text,      memory bytes, bytes per second
            1.0,         104857600,    1048576
            2.5%,        104857600,    2621440
            4MiB/s,      104857600,    4194304
            4MiB/s,      1073741824,   4194304
            512KiB/s,    1073741824,   524288
            1.5MB/s,     1073741824,   1572864
            1GiB/s,      1073741824,   1073741824
            100000B/s,   1073741824,   100000
            0,           1073741824,   0
            """)
    void parses(final String text, final long size, final long expected) {
        assertThat(DirtyRate.parse(text).of(size)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "101", "-1", "4MiB", "4XiB/s", "%"})
    void refusesWithAOneLineMessage(final String text) {
        assertThatThrownBy(() -> DirtyRate.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dirty rate").hasMessageNotContaining("\n");
    }
}
