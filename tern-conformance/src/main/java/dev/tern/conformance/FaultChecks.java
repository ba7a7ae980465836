package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.util.function.Consumer;

/**
 * For every arc the flags require: fail it, expect ERROR, expect requests refused in ERROR (EINVAL), reset, expect
 * RUNNING and a working device (spec §2.7: ERROR is left only by reset). Needs a subject that injects faults.
 */
final class FaultChecks {

    private FaultChecks() {
    }

    static void run(final Subject subject, final ConformanceKit.Golden golden, final Consumer<CheckResult> out) {
        final ConformanceKit.Lease lease;
        try {
            lease = ConformanceKit.lease(subject);
        } catch (final DeviceException e) {
            out.accept(new CheckResult("open a target for the fault checks", false, e.getMessage()));
            return;
        }
        try (lease) {
            final MigrationTarget t = lease.target();
            // Probe: arm a fault, then disarm it with a reset (a reset forgets armed faults).
            if (!subject.injectFailure(t, Arc.RUNNING_TO_STOP)) {
                out.accept(CheckResult.skip("failing arcs -> ERROR -> reset",
                        "this target cannot inject arc failures (a Tern extension: over vfio-user only Tern's"
                                + " server started with --fault-injection offers it)"));
                return;
            }
            try {
                t.reset();
            } catch (final DeviceException e) {
                out.accept(new CheckResult("reset a fresh target", false, e.getMessage()));
                return;
            }
            for (final Arc arc : MigrationFsm.arcs(t.flags())) {
                out.accept(ConformanceKit.check("failing arc " + arc + " -> ERROR -> reset", () -> {
                    t.reset();
                    ConformanceKit.driveTo(t, arc.from(), golden);
                    subject.injectFailure(t, arc);
                    final DeviceException e = StreamIo.failure(() -> t.setState(arc.to()), "the failing arc");
                    expect(t.state() == MigrationState.ERROR, "after the failed arc the device is in " + t.state()
                            + ", not ERROR");
                    final DeviceException r = StreamIo.failure(() -> t.setState(MigrationState.RUNNING),
                            "a request in ERROR");
                    expect(r.errno() == Errno.EINVAL, "request in ERROR refused with " + Errno.name(r.errno()));
                    expect(t.state() == MigrationState.ERROR, "a refused request left ERROR");
                    t.reset();
                    expect(t.state() == MigrationState.RUNNING, "reset left " + t.state());
                    t.setState(MigrationState.STOP);
                    t.setState(MigrationState.RUNNING);
                    return "failed with " + Errno.name(e.errno()) + ", ERROR, reset to RUNNING";
                }));
            }
        } catch (final DeviceException e) {
            out.accept(new CheckResult("restore the device to RUNNING after the fault checks", false,
                    e.getMessage()));
        }
    }
}
