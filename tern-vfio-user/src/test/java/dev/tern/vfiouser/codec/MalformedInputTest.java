package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Table of malformed inputs: each must decode to Malformed(EINVAL) with a telling reason, never throw. */
class MalformedInputTest {
    private static final CodecLimits LIMITS = CodecLimits.forDataXfer(4096, 8);
    private static final int CMD = Header.TYPE_COMMAND;
    private static final int REPLY = Header.TYPE_REPLY;

    /** A message with a correct msg_size. */
    static byte[] msg(final int cmd, final int flags, final byte[] payload) {
        final ByteBuffer b = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 1).putShort((short) cmd).putInt(16 + payload.length).putInt(flags).putInt(0);
        b.put(payload);
        return b.array();
    }

    /** Little-endian payload from ints (u32) and longs (u64). */
    static byte[] le(final Object... fields) {
        final ByteBuffer b = ByteBuffer.allocate(8 * fields.length).order(ByteOrder.LITTLE_ENDIAN);
        for (final Object f : fields) {
            switch (f) {
                case Integer i -> b.putInt(i);
                case Long l -> b.putLong(l);
                case Short s -> b.putShort(s);
                case byte[] a -> b.put(a);
                default -> throw new IllegalArgumentException(f.toString());
            }
        }
        final byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static byte[] version(final String jsonWithTerminator) {
        return msg(1, CMD, Hex.concat(le((short) 0, (short) 2),
                jsonWithTerminator.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    static Stream<Arguments> cases() {
        final byte[] regionRead = le(0L, 0, 4);
        return Stream.of(
                Arguments.of("short header", new byte[10], 0, "short header"),
                Arguments.of("msg_size < 16", Hex.bytes("01 00 09 00 08 00 00 00 00 00 00 00 00 00 00 00"), 0,
                        "< 16"),
                Arguments.of("msg_size larger than bytes", Hex.bytes("01 00 09 00 28 00 00 00 00 00 00 00 00 00 00 00"
                        + "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), 0, "but 32 bytes"),
                Arguments.of("msg_size smaller than bytes",
                        Hex.concat(Hex.bytes("01 00 09 00 10 00 00 00 00 00 00 00 00 00 00 00"), regionRead), 0,
                        "but 32 bytes"),
                Arguments.of("argsz too small: GET_INFO", msg(4, CMD, le(8, 0, 0, 0)), 0, "argsz 8 < 16"),
                Arguments.of("argsz too small: REGION_INFO", msg(5, CMD, le(16, 0, 1, 0, 0L, 0L)), 0, "argsz 16 < 32"),
                Arguments.of("argsz too small: IRQ_INFO", msg(7, CMD, le(4, 0, 1, 0)), 0, "argsz"),
                Arguments.of("argsz too small: MIG_DATA_READ", msg(17, CMD, le(8, 16)), 0, "argsz 8 < 24"),
                Arguments.of("argsz too small: DMA_MAP", msg(2, CMD, le(16, 1, 0L, 0L, 4096L)), 0, "argsz"),
                Arguments.of("argsz too small: DMA_UNMAP bitmap", msg(3, CMD, le(24, 1, 0L, 4096L, 4096L, 8L)), 0,
                        "no room"),
                Arguments.of("argsz too small: FEATURE GET MIGRATION", msg(16, CMD, le(8, 0x10001)), 0,
                        "argsz 8 < 16"),
                Arguments.of("argsz too small: FEATURE SET echo", msg(16, CMD, le(8, 0x20002, 2, -1)), 0,
                        "argsz 8 < 16"),
                Arguments.of("unknown command 14", msg(14, CMD, le(0)), 0, "unknown command 14"),
                Arguments.of("unknown command 0", msg(0, CMD, le(0)), 0, "unknown command 0"),
                Arguments.of("unknown command 0xffff", msg(0xffff, REPLY, new byte[0]), 0, "unknown command"),
                Arguments.of("too many fds: REGION_READ", msg(9, CMD, regionRead), 1, "1 fds where 0"),
                Arguments.of("too many fds: DMA_MAP", msg(2, CMD, le(32, 3, 0L, 0L, 4096L)), 2, "at most one fd"),
                Arguments.of("too many fds: above max_msg_fds", msg(8, CMD, le(20, 0x24, 2, 0, 64)), 9,
                        "exceed max_msg_fds"),
                Arguments.of("too many fds: SET_IRQS above count", msg(8, CMD, le(20, 0x24, 2, 0, 1)), 2,
                        "2 fds for count 1"),
                Arguments.of("too many fds: VERSION request", version("{}\0"), 1, "must not carry fds"),
                Arguments.of("fd_index in a VERSION request", version("{\"capabilities\":{\"twin_socket\":"
                        + "{\"supported\":true,\"fd_index\":0}}}\0"), 0, "only valid in the reply"),
                Arguments.of("oversize: REGION_WRITE count", msg(10, CMD, Hex.concat(le(0L, 0, 5000),
                        new byte[4000])), 0, "max_data_xfer_size"),
                Arguments.of("oversize: REGION_READ count", msg(9, CMD, le(0L, 0, 4097)), 0, "max_data_xfer_size"),
                Arguments.of("oversize: DMA_READ count", msg(11, CMD, le(0L, 1L << 40)), 0, "max_data_xfer_size"),
                Arguments.of("oversize: MIG_DATA_READ size", msg(17, CMD, le(8 + 8192, 8192)), 0,
                        "max_data_xfer_size"),
                Arguments.of("oversize: MIG_DATA_WRITE size", msg(18, CMD, le(8 + 5000, 5000)), 0,
                        "max_data_xfer_size"),
                Arguments.of("oversize: msg_size", msg(10, CMD, Hex.concat(le(0L, 0, 4200), new byte[4200])), 0,
                        "exceeds 4144"),
                Arguments.of("empty payload: REGION_READ", msg(9, CMD, new byte[0]), 0, "empty payload"),
                Arguments.of("empty payload: VERSION", msg(1, CMD, new byte[0]), 0, "empty payload"),
                Arguments.of("payload on DEVICE_RESET", msg(13, CMD, le(0)), 0, "trailing"),
                Arguments.of("payload too short: REGION_READ", msg(9, CMD, le(0L, 0)), 0, "too short"),
                Arguments.of("payload too short: DMA_MAP", msg(2, CMD, le(32, 1, 0L)), 0, "too short"),
                Arguments.of("trailing bytes: GET_INFO", msg(4, CMD, le(16, 0, 0, 0, 0)), 0, "trailing"),
                Arguments.of("count mismatch: REGION_WRITE", msg(10, CMD, Hex.concat(le(0L, 0, 8), new byte[4])), 0,
                        "too short"),
                Arguments.of("count mismatch: REGION_READ reply", msg(9, REPLY, Hex.concat(le(0L, 0, 2),
                        new byte[4])), 0, "trailing"),
                Arguments.of("bad JSON", version("{\"capabilities\":\0"), 0, "bad JSON"),
                Arguments.of("JSON without NUL", version("{}"), 0, "NUL"),
                Arguments.of("JSON with NUL inside", version("{}\0{}\0"), 0, "bad JSON"),
                Arguments.of("JSON trailing garbage", version("{} x\0"), 0, "trailing characters"),
                Arguments.of("JSON top level not an object", version("[1]\0"), 0, "must be an object"),
                Arguments.of("JSON capabilities not an object", version("{\"capabilities\":true}\0"), 0,
                        "must be an object"),
                Arguments.of("wrong type: max_msg_fds string", version("{\"capabilities\":{\"max_msg_fds\":\"8\"}}\0"),
                        0, "must be a number"),
                Arguments.of("wrong type: write_multiple number",
                        version("{\"capabilities\":{\"write_multiple\":1}}\0"), 0, "must be a boolean"),
                Arguments.of("wrong type: twin_socket", version("{\"capabilities\":{\"twin_socket\":[]}}\0"), 0,
                        "must be an object"),
                Arguments.of("wrong type: tern.p2p", version("{\"capabilities\":{\"tern\":{\"p2p\":null}}}\0"), 0,
                        "must be a boolean"),
                Arguments.of("negative number", version("{\"capabilities\":{\"max_msg_fds\":-1}}\0"), 0,
                        "must be an integer"),
                Arguments.of("fractional number", version("{\"capabilities\":{\"max_data_xfer_size\":1.5}}\0"), 0,
                        "must be an integer"),
                Arguments.of("huge number", version("{\"capabilities\":{\"pgsizes\":99999999999999999999999}}\0"), 0,
                        "2^64-1"),
                Arguments.of("number too long", version("{\"capabilities\":{\"pgsizes\":" + "9".repeat(100)
                        + "}}\0"), 0, "number longer"),
                Arguments.of("nested too deep", version("{\"x\":" + "[".repeat(40) + "]".repeat(40) + "}\0"), 0,
                        "nesting deeper"),
                Arguments.of("invalid UTF-8", msg(1, CMD, Hex.concat(le((short) 0, (short) 2),
                        Hex.bytes("7b 22 c3 28 22 3a 31 7d 00"))), 0, "UTF-8"),
                Arguments.of("ERROR flag on a command", msg(9, CMD | Header.FLAG_ERROR, regionRead), 0, "ERROR flag"),
                Arguments.of("bad message type", msg(9, 2, regionRead), 0, "bad message type"),
                Arguments.of("DMA_MAP unknown flags", msg(2, CMD, le(32, 0x10, 0L, 0L, 4096L)), 0, "unknown flags"),
                Arguments.of("DMA_UNMAP both flags", msg(3, CMD, le(24, 3, 0L, 0L)), 0, "bad flags"),
                Arguments.of("DMA_UNMAP ALL with range", msg(3, CMD, le(24, 2, 4096L, 0L)), 0, "ALL needs"),
                Arguments.of("SET_IRQS two DATA flags", msg(8, CMD, le(20, 0x25, 0, 0, 1)), 0, "bad flags"),
                Arguments.of("SET_IRQS no ACTION flag", msg(8, CMD, le(20, 0x1, 0, 0, 1)), 0, "bad flags"),
                Arguments.of("SET_IRQS bool data short", msg(8, CMD, le(24, 0x22, 0, 0, 8, 0)), 0, "too short"),
                Arguments.of("FEATURE no operation", msg(16, CMD, le(16, 0x1)), 0, "none of GET"),
                Arguments.of("FEATURE GET and SET", msg(16, CMD, le(16, 0x30002, 2, -1)), 0, "need PROBE"),
                Arguments.of("FEATURE unknown flag bit", msg(16, CMD, le(16, 0x80001)), 0, "unknown flags"),
                Arguments.of("FEATURE SET state too short", msg(16, CMD, le(16, 0x20002, 2)), 0, "too short"),
                Arguments.of("FEATURE SET state too long", msg(16, CMD, le(24, 0x20002, 2, -1, 0)), 0, "trailing"),
                Arguments.of("DMA_LOGGING num_ranges mismatch", msg(16, CMD, le(40, 0x20006, 4096L, 2, 0, 0L,
                        4096L)), 0, "num_ranges"),
                Arguments.of("REPORT reply bitmap not u64 words", msg(16, REPLY, le(36, 0x10008, 0L, 4096L, 4096L,
                        0)), 0, "u64 words"),
                Arguments.of("REGION_INFO cap loop", msg(5, REPLY, le(48, 8, 0, 32, 0L, 0L, (short) 1, (short) 1,
                        32, 0, 0)), 0, "backwards"),
                Arguments.of("REGION_INFO cap outside", msg(5, REPLY, le(48, 8, 0, 200, 0L, 0L)), 0, "outside"),
                Arguments.of("REGION_INFO sparse areas overflow", msg(5, REPLY, le(48, 8, 0, 32, 0L, 0L, (short) 1,
                        (short) 1, 0, 5, 0)), 0, "nr_areas"),
                Arguments.of("IO_FDS fd_index without fd", msg(6, REPLY, Hex.concat(le(56, 0, 0, 1),
                        le(0L, 4L, 0, 0, 0, 0, 0L))), 0, "fd_index 0"),
                Arguments.of("IO_FDS odd stride", msg(6, REPLY, Hex.concat(le(52, 0, 0, 1), new byte[36])), 0,
                        "neither 40 nor 48"),
                Arguments.of("MIG_DATA_READ reply size > data", msg(17, REPLY, le(16, 8, 0)), 0, "bytes of data"),
                Arguments.of("DMA_WRITE reply odd size", msg(12, REPLY, le(0L, (short) 1)), 0, "expected 0, 12 or 16"),
                Arguments.of("VERSION reply twin fd missing", msg(1, REPLY, Hex.concat(le((short) 0, (short) 2),
                        Hex.cstring("{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}"))), 0,
                        "fd_index needs 1"),
                Arguments.of("REGION_WRITE_MULTI count > 8", msg(15, CMD, le(1L, 0L, 0, 9, 0L)), 0, "> 8"),
                Arguments.of("REGION_WRITE_MULTI wr_cnt mismatch", msg(15, CMD, le(2L, 0L, 0, 4, 0L)), 0,
                        "does not match"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isEinvalNotException(final String name, final byte[] wire, final int fds, final String reason) {
        final DecodeResult r = new MessageDecoder(LIMITS).decode(wire, fds);
        assertThat(r).as(name).isInstanceOf(Malformed.class);
        final Malformed m = (Malformed) r;
        assertThat(m.errno()).as(name).isEqualTo(Errno.EINVAL);
        assertThat(m.reason()).as(name).contains(reason).doesNotStartWith("internal");
    }
}
