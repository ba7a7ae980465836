package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The uAPI's data-fd rules (vfio-migration.md §2.8) beyond {@link MisuseChecks}: the end of a stop-copy stream is
 * permanent; a pre-copy stream ends when the device returns to RUNNING; a saving stream abandoned half read (the fd
 * closed early) costs nothing — the next session streams the whole state again; a load abandoned half written is
 * undone by a reset, after which the device loads normally.
 */
final class DataFdChecks {

    private static final int AFTER_END_READS = 3;

    private DataFdChecks() {
    }

    private interface OnTarget {
        String run(MigrationTarget t) throws Exception;
    }

    static void run(final Subject subject, final ConformanceKit.Golden golden, final Consumer<CheckResult> out) {
        check(subject, out, "read after the end of a stop-copy stream keeps returning end", t -> {
            final MigrationStream s = StreamIo.open(t, MigrationState.STOP_COPY);
            StreamIo.drain(s, true);
            for (int i = 0; i < AFTER_END_READS; i++) {
                expect(s.read(ByteBuffer.allocate(64)) == -1, "read " + (i + 1) + " after the end did not return -1");
            }
            return AFTER_END_READS + " more reads, each -1";
        });
        check(subject, out, "pre-copy stream is stale after PRE_COPY -> RUNNING", t -> {
            CheckFailure.skipUnless(t.flags().has(MigrationFeature.PRE_COPY), "the device has no PRE_COPY");
            final MigrationStream s = StreamIo.open(t, MigrationState.PRE_COPY);
            t.setState(MigrationState.RUNNING);
            expect(!s.isLive(), "stream still live after its session ended");
            return errno(StreamIo.failure(() -> s.read(ByteBuffer.allocate(64)), "read from a stale stream"));
        });
        check(subject, out, "saving stream abandoned half read: the next session streams everything", t -> {
            t.setState(MigrationState.STOP);
            final byte[] whole = StreamIo.drain(StreamIo.open(t, MigrationState.STOP_COPY), true);
            t.setState(MigrationState.STOP);
            final MigrationStream abandoned = StreamIo.open(t, MigrationState.STOP_COPY);
            final int part = Math.max(1, whole.length / 2);
            final int got = abandoned.read(ByteBuffer.allocate(part));
            t.setState(MigrationState.STOP);
            expect(!abandoned.isLive(), "the abandoned stream is still live");
            final byte[] again = StreamIo.drain(StreamIo.open(t, MigrationState.STOP_COPY), true);
            t.setState(MigrationState.STOP);
            expect(Arrays.equals(whole, again), "after abandoning a session at " + got + " bytes the next one "
                    + "streamed " + again.length + " bytes, differing from the " + whole.length + " before");
            return "abandoned at " + got + " of " + whole.length + " bytes; the next session streamed all of them";
        });
        check(subject, out, "load abandoned half written: reset returns RUNNING and a full load then works", t -> {
            final byte[] g = golden.bytes();
            final MigrationStream w = StreamIo.open(t, MigrationState.RESUMING);
            StreamIo.write(w, g, g.length / 2);
            t.reset();
            expect(t.state() == MigrationState.RUNNING, "reset left " + t.state());
            expect(!w.isLive(), "the abandoned resuming stream is still live after the reset");
            ConformanceKit.driveTo(t, MigrationState.RESUMING, golden);
            t.setState(MigrationState.STOP);
            return "reset after " + g.length / 2 + " of " + g.length + " bytes, then the whole stream loaded";
        });
    }

    private static void check(final Subject subject, final Consumer<CheckResult> out, final String name,
            final OnTarget action) {
        out.accept(ConformanceKit.check(name, () -> {
            try (ConformanceKit.Lease l = ConformanceKit.lease(subject)) {
                return action.run(l.target());
            }
        }));
    }

    private static String errno(final DeviceException e) {
        return "fails with " + Errno.name(e.errno());
    }
}
