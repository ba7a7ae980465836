package dev.tern.conformance;

import dev.tern.device.DeviceConfig;
import dev.tern.device.DeviceException;
import dev.tern.device.DeviceFactory;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.MigrationState;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Checks that a {@link MigrationTarget} migrates the way the VFIO v2 uAPI requires (spec §2.3–2.11): every state
 * request for its flags against {@code MigrationFsm}, save → load → equal checksums, a failing arc → ERROR → reset
 * → RUNNING, misuse of streams and state requests, and the DMA-logging errno table.
 *
 * <p>Each check yields a {@link CheckResult}; a check whose target throws unexpectedly fails with the exception's
 * message rather than stopping the run.
 *
 * <p>The kit adapts to its subject rather than assuming Tern: what a target offers comes from
 * {@link MigrationTarget#capabilities()} and what the subject can do from {@link Subject}. Checks that need a
 * PRECOPY_INFO, a device checksum or fault injection the target lacks are skipped with the reason; states are then
 * compared by digests of the streams computed here; checks that hold two targets skip when {@link Subject#maxOpen()}
 * is 1; DMA logging is checked by the rules the target declares. Every check opens its targets through a
 * {@link Lease}, which brings the device back to RUNNING when the check ends, whatever happened.
 */
public final class ConformanceKit {

    /** One named check. */
    @FunctionalInterface
    interface Check {
        /**
         * @return the detail to report on success
         * @throws Exception failure ({@link CheckFailure} carries the detail)
         */
        String run() throws Exception;
    }

    private ConformanceKit() {
    }

    /**
     * A saved stream of a fresh target, reused by checks that need to load, and the device checksum at switchover
     * where the target offers one.
     */
    record Golden(byte[] bytes, OptionalLong checksum) {
    }

    /**
     * A target opened for one check. Closing it first brings the device back to RUNNING ({@link
     * MigrationTarget#reset()}, which walks the FSM where a reset does not), so the next check and the next client
     * of the server find it usable; a device that cannot be brought back fails the check.
     */
    record Lease(MigrationTarget target) implements AutoCloseable {
        @Override
        public void close() throws DeviceException {
            try {
                target.reset();
            } finally {
                target.close();
            }
        }
    }

    /** @return a target of {@code subject}, restored to RUNNING when the lease closes */
    static Lease lease(final Subject subject) throws DeviceException {
        return new Lease(subject.open());
    }

    /**
     * Runs every check, reporting each result to {@code out} as it completes.
     *
     * @param subject what to check
     * @param out receives each result as its check ends
     */
    public static void run(final Subject subject, final Consumer<CheckResult> out) {
        final Golden[] golden = new Golden[1];
        out.accept(check("capture a stop-copy stream", () -> {
            try (Lease l = lease(subject)) {
                golden[0] = capture(l.target());
                return golden[0].bytes().length + " bytes, " + (golden[0].checksum().isPresent() ? "checksum "
                        + Long.toHexString(golden[0].checksum().getAsLong()) : "digest "
                        + StreamIo.digest(golden[0].bytes()) + " (no device checksum)");
            }
        }));
        if (golden[0] == null) {
            return;
        }
        TransitionChecks.run(subject, golden[0], out);
        RoundTripChecks.run(subject, out);
        FaultChecks.run(subject, golden[0], out);
        MisuseChecks.run(subject, golden[0], out);
        DataFdChecks.run(subject, golden[0], out);
        SessionChecks.run(subject, golden[0], out);
        DirtyLogChecks.run(subject, out);
    }

    /**
     * {@return every result of {@link #run(Subject, Consumer)}}
     *
     * @param subject what to check
     */
    public static List<CheckResult> run(final Subject subject) {
        final List<CheckResult> results = new ArrayList<>();
        run(subject, results::add);
        return results;
    }

    /**
     * A subject of devices {@code factory} creates (at their defaults) in the in-process engine, for {@code tern
     * check --device NAME} (the name found in {@code DeviceCatalog}).
     *
     * @param factory the device's factory
     * @return the subject
     */
    public static Subject forFactory(final DeviceFactory factory) {
        return Subject.ofEngines(factory.name(), () -> MigrationEngine.of(factory.create(DeviceConfig.DEFAULTS)));
    }

    /**
     * {@return {@code N passed, N failed}}
     *
     * @param results the results of a run
     */
    public static String summary(final List<CheckResult> results) {
        final long skipped = results.stream().filter(CheckResult::skipped).count();
        final long failed = results.stream().filter(r -> !r.passed()).count();
        return (results.size() - skipped - failed) + " passed, " + failed + " failed"
                + (skipped > 0 ? ", " + skipped + " skipped" : "");
    }

    static CheckResult check(final String name, final Check check) {
        try {
            return new CheckResult(name, true, check.run());
        } catch (final CheckFailure e) {
            return new CheckResult(name, false, e.getMessage());
        } catch (final CheckFailure.Skipped e) {
            return CheckResult.skip(name, e.getMessage());
        } catch (final Exception | AssertionError e) {
            return new CheckResult(name, false, "unexpected " + e.getClass().getSimpleName() + ": "
                    + e.getMessage());
        }
    }

    /** RUNNING → STOP_COPY, checksum (if offered), read to the end, back to RUNNING. */
    static Golden capture(final MigrationTarget t) throws DeviceException {
        final StateChange c = t.setState(MigrationState.STOP_COPY);
        final MigrationStream s = c.stream().orElseThrow(() -> new CheckFailure("STOP_COPY opened no stream"));
        final OptionalLong sum = t.capabilities().checksum() ? OptionalLong.of(t.checksum()) : OptionalLong.empty();
        final byte[] bytes = StreamIo.drain(s, true);
        t.setState(MigrationState.RUNNING);
        return new Golden(bytes, sum);
    }

    /** Takes a reset target from RUNNING to {@code state}, loading {@code golden} if it is RESUMING. */
    static void driveTo(final MigrationTarget t, final MigrationState state, final Golden golden)
            throws DeviceException {
        final StateChange c = t.setState(state);
        if (state == MigrationState.RESUMING) {
            final MigrationStream s = c.stream().orElseThrow(() -> new CheckFailure("RESUMING opened no stream"));
            StreamIo.write(s, golden.bytes(), golden.bytes().length);
        }
    }
}
