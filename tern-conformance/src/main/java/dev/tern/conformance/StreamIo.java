package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.MigrationState;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Reading and writing whole migration streams for the checks. */
final class StreamIo {

    private static final int CHUNK = 1 << 20;
    private static final long DEADLINE_NANOS = 30_000_000_000L;

    /** A failing action. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private StreamIo() {
    }

    /**
     * Reads until the stream says "nothing now" (0; pre-copy) or "end" (-1).
     *
     * @param untilEnd true to require the end of stream (STOP_COPY); false to stop at the first 0
     */
    static byte[] drain(final MigrationStream stream, final boolean untilEnd) throws DeviceException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        final byte[] copy = new byte[CHUNK];
        final long start = System.nanoTime();
        while (true) {
            buf.clear();
            final int n = stream.read(buf);
            if (n < 0) {
                CheckFailure.expect(untilEnd, "end of stream (-1) while pre-copying; the uAPI allows it only in"
                        + " STOP_COPY");
                return out.toByteArray();
            }
            if (n == 0) {
                CheckFailure.expect(!untilEnd, "read returned 0 in STOP_COPY; it must return data or end (-1)");
                return out.toByteArray();
            }
            CheckFailure.expect(n == buf.position(), "read reported " + n + " bytes but filled " + buf.position());
            buf.flip().get(copy, 0, n);
            out.write(copy, 0, n);
            CheckFailure.expect(System.nanoTime() - start < DEADLINE_NANOS, "stream did not reach "
                    + (untilEnd ? "its end" : "a pause") + " within 30 s (" + out.size() + " bytes read)");
        }
    }

    /** @return the first 16 hex digits of the SHA-256 of {@code bytes}: a stream compared on the client */
    static String digest(final byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /**
     * The device's state as its own stop-copy stream, for targets without a checksum: from STOP, saves through
     * STOP_COPY to the end and returns to STOP. A device's state is compared by comparing these digests.
     */
    static String resave(final MigrationTarget t) throws DeviceException {
        final MigrationStream s = t.setState(MigrationState.STOP_COPY).stream()
                .orElseThrow(() -> new CheckFailure("STOP -> STOP_COPY opened no stream"));
        final byte[] bytes = drain(s, true);
        t.setState(MigrationState.STOP);
        return digest(bytes);
    }

    /** @return the stream the request to {@code state} opened; a check failure if it opened none */
    static MigrationStream open(final MigrationTarget t, final MigrationState state) throws DeviceException {
        return t.setState(state).stream().orElseThrow(() -> new CheckFailure(state + " opened no stream"));
    }

    /** Writes {@code length} bytes of {@code bytes} in 64 KiB pieces (segmentation need not match the source). */
    static void write(final MigrationStream stream, final byte[] bytes, final int length) throws DeviceException {
        for (int off = 0; off < length; off += 65536) {
            stream.write(ByteBuffer.wrap(bytes, off, Math.min(65536, length - off)));
        }
    }

    /** @return the exception {@code action} threw, or a {@link CheckFailure} saying it did not throw */
    static DeviceException failure(final Action action, final String what) throws Exception {
        try {
            action.run();
        } catch (final DeviceException e) {
            return e;
        }
        throw new CheckFailure(what + " was accepted; it must fail");
    }
}
