package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import java.io.ByteArrayOutputStream;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Checks across sessions and devices, for every backend (issue 11): a state moved A→B→A→B… stays equal at every
 * hop; a device saved while busy (pre-copy with a workload running) loads elsewhere as it was at switchover; a
 * device loads the stream it produced itself in an earlier session. "Equal" is the device checksum where both
 * targets offer one, else the digests of the streams both re-save from STOP (a kernel device has no checksum).
 */
final class SessionChecks {

    /** Hops of the repeated migration: A→B, B→A, A→B, B→A. */
    static final int HOPS = 4;
    private static final long BUSY_ROUND_MILLIS = 20;
    private static final int BUSY_ROUNDS = 3;

    private SessionChecks() {
    }

    static void run(final Subject subject, final ConformanceKit.Golden golden, final Consumer<CheckResult> out) {
        out.accept(ConformanceKit.check("load of the device's own stream in a new session",
                () -> selfLoad(subject, golden)));
        final String hops = "repeated migration A->B->A->B (" + HOPS + " hops)";
        final String busy = "save with the device busy";
        if (subject.maxOpen() < 2) {
            final String why = "needs a source and a destination open at once; this subject can open one target";
            out.accept(CheckResult.skip(hops, why));
            out.accept(CheckResult.skip(busy, why));
            return;
        }
        out.accept(ConformanceKit.check(hops, () -> hops(subject)));
        out.accept(ConformanceKit.check(busy, () -> busySave(subject)));
    }

    /** The golden stream came from a target that has since been closed; a new one must load it. */
    private static String selfLoad(final Subject subject, final ConformanceKit.Golden golden) throws Exception {
        try (ConformanceKit.Lease l = ConformanceKit.lease(subject)) {
            final MigrationTarget t = l.target();
            ConformanceKit.driveTo(t, MigrationState.RESUMING, golden);
            t.setState(MigrationState.STOP);
            if (golden.checksum().isPresent() && t.capabilities().checksum()) {
                expect(t.checksum() == golden.checksum().getAsLong(), "checksum after the load "
                        + Long.toHexString(t.checksum()) + " != " + Long.toHexString(golden.checksum().getAsLong()));
                return golden.bytes().length + " bytes loaded, checksum equal";
            }
            final String again = StreamIo.resave(t);
            expect(again.equals(StreamIo.digest(golden.bytes())), "re-saved stream " + again + " != the loaded "
                    + StreamIo.digest(golden.bytes()));
            return golden.bytes().length + " bytes loaded, re-saved stream identical (sha-256 " + again + ")";
        }
    }

    /** Moves the state back and forth; each hop's destination must hold what its source had at switchover. */
    private static String hops(final Subject subject) throws Exception {
        try (ConformanceKit.Lease a = ConformanceKit.lease(subject);
                ConformanceKit.Lease b = ConformanceKit.lease(subject)) {
            MigrationTarget from = a.target();
            MigrationTarget to = b.target();
            long bytes = 0;
            for (int hop = 1; hop <= HOPS; hop++) {
                final OptionalLong sum = switchover(from);
                final byte[] stream = StreamIo.drain(StreamIo.open(from, MigrationState.STOP_COPY), true);
                bytes += stream.length;
                from.setState(MigrationState.STOP);
                load(to, stream);
                same(from, sum, to, "hop " + hop);
                to.setState(MigrationState.RUNNING);
                final MigrationTarget t = from;
                from = to;
                to = t;
            }
            return HOPS + " hops, " + bytes + " bytes moved, state equal at every hop";
        }
    }

    /** Pre-copy (where offered) while a workload changes the device, then stop-copy and load elsewhere. */
    private static String busySave(final Subject subject) throws Exception {
        try (ConformanceKit.Lease sl = ConformanceKit.lease(subject);
                ConformanceKit.Lease dl = ConformanceKit.lease(subject)) {
            final MigrationTarget src = sl.target();
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final boolean preCopy = src.flags().has(MigrationFeature.PRE_COPY);
            final Optional<AutoCloseable> work = subject.keepBusy(src);
            MigrationStream s = null;
            try (AutoCloseable w = work.orElse(() -> { })) {
                s = preCopy ? StreamIo.open(src, MigrationState.PRE_COPY) : null;
                for (int round = 0; round < BUSY_ROUNDS; round++) {
                    if (s != null) {
                        bytes.writeBytes(StreamIo.drain(s, false));
                    }
                    Thread.sleep(BUSY_ROUND_MILLIS);
                }
            }
            final var c = src.setState(MigrationState.STOP_COPY);
            s = s != null ? s : c.stream().orElseThrow(() -> new CheckFailure("STOP_COPY opened no stream"));
            final OptionalLong sum = switchover(src);
            bytes.writeBytes(StreamIo.drain(s, true));
            src.setState(MigrationState.STOP);
            load(dl.target(), bytes.toByteArray());
            return same(src, sum, dl.target(), "after the busy save") + "; " + bytes.size() + " bytes"
                    + (preCopy ? " through PRE_COPY" : "") + ", workload: " + (work.isPresent() ? "the subject's"
                    : "none offered (the device's own activity only)");
        }
    }

    private static OptionalLong switchover(final MigrationTarget t) throws DeviceException {
        return t.capabilities().checksum() ? OptionalLong.of(t.checksum()) : OptionalLong.empty();
    }

    private static void load(final MigrationTarget t, final byte[] stream) throws DeviceException {
        StreamIo.write(StreamIo.open(t, MigrationState.RESUMING), stream, stream.length);
        t.setState(MigrationState.STOP);
    }

    /**
     * @param src stopped, {@code sum} its checksum at switchover if it has one
     * @param dst stopped after the load
     * @return what was compared
     */
    private static String same(final MigrationTarget src, final OptionalLong sum, final MigrationTarget dst,
            final String where) throws DeviceException {
        if (sum.isPresent() && dst.capabilities().checksum()) {
            expect(dst.checksum() == sum.getAsLong(), where + ": destination checksum "
                    + Long.toHexString(dst.checksum()) + " != source's " + Long.toHexString(sum.getAsLong()));
            return "checksums equal";
        }
        final String a = StreamIo.resave(src);
        final String b = StreamIo.resave(dst);
        expect(a.equals(b), where + ": the destination re-saves " + b + ", the source " + a);
        return "re-saved streams equal (sha-256 " + a + ")";
    }
}
