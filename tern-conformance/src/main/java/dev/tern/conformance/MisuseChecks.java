package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StreamHeader;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Misuse must give clear errors and change nothing (spec §2.7–2.9): streams used in the wrong direction, after
 * their session ended or after reset; ERROR requested; PRECOPY_INFO outside pre-copy; and loads of truncated,
 * corrupt, wrong-kind and wrong-version streams, which must fail on RESUMING→STOP and leave the device's state
 * (its checksum) as it was before RESUMING.
 */
final class MisuseChecks {

    /** An action on a fresh target. */
    @FunctionalInterface
    private interface OnTarget {
        String run(MigrationTarget t) throws Exception;
    }

    private MisuseChecks() {
    }

    static void run(final Subject subject, final ConformanceKit.Golden golden, final Consumer<CheckResult> out) {
        misuse(subject, out, "read from a resuming stream fails", t -> {
            final MigrationStream w = StreamIo.open(t, MigrationState.RESUMING);
            return errno(StreamIo.failure(() -> w.read(ByteBuffer.allocate(64)), "read from a resuming stream"));
        });
        misuse(subject, out, "write to a saving stream fails", t -> {
            final MigrationStream s = StreamIo.open(t, MigrationState.STOP_COPY);
            return errno(StreamIo.failure(() -> s.write(ByteBuffer.allocate(64)), "write to a saving stream"));
        });
        misuse(subject, out, "saving stream is stale after STOP_COPY -> STOP", t -> {
            final MigrationStream s = StreamIo.open(t, MigrationState.STOP_COPY);
            t.setState(MigrationState.STOP);
            expect(!s.isLive(), "stream still live after its session ended");
            return errno(StreamIo.failure(() -> s.read(ByteBuffer.allocate(64)), "read from a stale stream"));
        });
        misuse(subject, out, "stream is stale after reset", t -> {
            final MigrationStream s = StreamIo.open(t, MigrationState.STOP_COPY);
            t.reset();
            return errno(StreamIo.failure(() -> s.read(ByteBuffer.allocate(64)), "read after reset"));
        });
        misuse(subject, out, "write after the end of RESUMING fails", t -> {
            final MigrationStream w = StreamIo.open(t, MigrationState.RESUMING);
            StreamIo.write(w, golden.bytes(), golden.bytes().length);
            t.setState(MigrationState.STOP);
            return errno(StreamIo.failure(() -> w.write(ByteBuffer.wrap(golden.bytes(), 0, 16)),
                    "write after RESUMING ended"));
        });
        misuse(subject, out, "requesting ERROR is refused with EINVAL", t -> {
            final DeviceException e = StreamIo.failure(() -> t.setState(MigrationState.ERROR), "request ERROR");
            expect(e.errno() == Errno.EINVAL && t.state() == MigrationState.RUNNING, errno(e) + ", state "
                    + t.state());
            return errno(e);
        });
        misuse(subject, out, "PRECOPY_INFO outside pre-copy is EINVAL", t -> {
            CheckFailure.skipUnless(t.capabilities().precopyInfo(), "the target offers no PRECOPY_INFO (over"
                    + " vfio-user a Tern extension)");
            final DeviceException e = StreamIo.failure(t::precopyInfo, "PRECOPY_INFO in RUNNING");
            expect(e.errno() == Errno.EINVAL, "failed with " + errno(e));
            return errno(e);
        });
        final byte[] g = golden.bytes();
        badLoad(subject, out, "empty stream", new byte[0]);
        badLoad(subject, out, "truncated stream (half)", Arrays.copyOf(g, g.length / 2));
        badLoad(subject, out, "truncated stream (last byte missing)", Arrays.copyOf(g, g.length - 1));
        final byte[] corrupt = g.clone();
        corrupt[0] ^= 0x5A;
        badLoad(subject, out, "corrupt stream (bad magic)", corrupt);
        final ByteBuffer gb = ByteBuffer.wrap(g);
        final StreamHeader h;
        try {
            h = StreamHeader.decode(gb);
        } catch (final DeviceException e) {
            return;
        }
        final byte[] body = Arrays.copyOfRange(g, h.length(), g.length);
        badLoad(subject, out, "stream of another device kind",
                concat(new StreamHeader(h.formatVersion(), h.flags(), "not-" + h.kind()).encode(), body));
        badLoad(subject, out, "stream of an unsupported format version",
                concat(new StreamHeader(h.formatVersion() + 1, h.flags(), h.kind()).encode(), body));
        badLoad(subject, out, "stream with trailing garbage", concat(ByteBuffer.wrap(g), new byte[] {1, 2, 3}));
    }

    private static void misuse(final Subject subject, final Consumer<CheckResult> out, final String name,
            final OnTarget action) {
        out.accept(ConformanceKit.check(name, () -> {
            try (ConformanceKit.Lease l = ConformanceKit.lease(subject)) {
                return action.run(l.target());
            }
        }));
    }

    private static void badLoad(final Subject subject, final Consumer<CheckResult> out, final String what,
            final byte[] bytes) {
        misuse(subject, out, "load of " + what + " fails, nothing applied", t -> {
            t.setState(MigrationState.STOP);
            final boolean checksum = t.capabilities().checksum();
            final long before = checksum ? t.checksum() : 0;
            final MigrationStream w = StreamIo.open(t, MigrationState.RESUMING);
            String detail;
            try {
                StreamIo.write(w, bytes, bytes.length);
                detail = "write accepted, ";
            } catch (final DeviceException e) {
                detail = "write refused (" + errno(e) + "), ";
            }
            final DeviceException e = StreamIo.failure(() -> t.setState(MigrationState.STOP), "RESUMING -> STOP");
            expect(t.state() == MigrationState.ERROR || t.state() == MigrationState.RESUMING,
                    "after a failed load the device is in " + t.state());
            expect(!checksum || t.checksum() == before, "device state changed by a failed load");
            final MigrationState after = t.state();
            t.reset();
            expect(t.state() == MigrationState.RUNNING, "reset after a failed load left " + t.state());
            return detail + "RESUMING -> STOP " + errno(e) + ", device in " + after + (checksum ? ", state unchanged"
                    : ", state not compared (no device checksum)");
        });
    }

    private static byte[] concat(final ByteBuffer head, final byte[] tail) {
        final byte[] out = new byte[head.remaining() + tail.length];
        head.duplicate().get(out, 0, head.remaining());
        System.arraycopy(tail, 0, out, head.remaining(), tail.length);
        return out;
    }

    private static String errno(final DeviceException e) {
        return Errno.name(e.errno());
    }
}
