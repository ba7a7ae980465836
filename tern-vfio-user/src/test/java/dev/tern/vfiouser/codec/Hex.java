package dev.tern.vfiouser.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Test helper: hex strings with any spacing and {@code |} separators, and concatenation. */
final class Hex {
    private Hex() {
    }

    static byte[] bytes(final String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s|]", ""));
    }

    static String of(final byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    static byte[] concat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] cstring(final String s) {
        return concat(s.getBytes(StandardCharsets.UTF_8), new byte[] {0});
    }
}
