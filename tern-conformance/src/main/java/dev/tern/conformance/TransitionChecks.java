package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.Arc;
import dev.tern.protocol.DataSession;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.protocol.Transition;
import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every (from, to) request for the target's flags, against {@link MigrationFsm#path}: a permitted request reaches
 * {@code to} through exactly the expected arcs (when observable) and returns a stream iff its last arc opens a
 * session; a refused one fails with EINVAL and leaves the state alone (spec §2.5–2.7). ERROR is requested too.
 */
final class TransitionChecks {

    private TransitionChecks() {
    }

    static void run(final Subject subject, final ConformanceKit.Golden golden, final Consumer<CheckResult> out) {
        final ConformanceKit.Lease lease;
        try {
            lease = ConformanceKit.lease(subject);
        } catch (final DeviceException e) {
            out.accept(new CheckResult("open a target for the transition checks", false, e.getMessage()));
            return;
        }
        try (lease) {
            final MigrationTarget t = lease.target();
            final List<Arc> seen = new ArrayList<>();
            final boolean observable = subject.observeArcs(t, seen::add);
            final List<MigrationState> targets = new ArrayList<>(t.flags().states());
            targets.add(MigrationState.ERROR);
            for (final MigrationState from : t.flags().states()) {
                for (final MigrationState to : targets) {
                    out.accept(ConformanceKit.check("transition " + from + " -> " + to,
                            () -> pair(t, from, to, golden, seen, observable)));
                }
            }
        } catch (final DeviceException e) {
            out.accept(new CheckResult("restore the device to RUNNING after the transition checks", false,
                    e.getMessage()));
        }
    }

    private static String pair(final MigrationTarget t, final MigrationState from, final MigrationState to,
            final ConformanceKit.Golden golden, final List<Arc> seen, final boolean observable) throws Exception {
        t.reset();
        expect(t.state() == MigrationState.RUNNING, "reset left " + t.state() + ", not RUNNING");
        ConformanceKit.driveTo(t, from, golden);
        expect(t.state() == from, "could not reach " + from + " (at " + t.state() + ")");
        seen.clear();
        final Transition expected = MigrationFsm.path(from, to, t.flags());
        switch (expected) {
            case Transition.Path p -> {
                final StateChange c = t.setState(to);
                expect(c.reached() == to && t.state() == to, "reached " + c.reached() + " / reports " + t.state()
                        + ", expected " + to);
                final DataSession last = p.arcs().isEmpty() ? DataSession.NONE : p.arcs().getLast().session();
                final boolean opens = last == DataSession.OPENS_SAVING || last == DataSession.OPENS_RESUMING;
                expect(c.stream().isPresent() == opens, (opens ? "no stream" : "an unexpected stream")
                        + " after " + p.arcs());
                c.stream().ifPresent(s -> expect(s.isSaving() == (last == DataSession.OPENS_SAVING),
                        "stream direction wrong for " + p.arcs().getLast()));
                if (observable) {
                    expect(seen.equals(p.arcs()), "performed arcs " + seen + ", expected " + p.arcs());
                }
                if (t.capabilities().stopCopySize()) {
                    final long size = t.stopCopySize();
                    expect(size >= 0, "stop-copy size " + size + " in " + to);
                }
                return p.arcs().isEmpty() ? "no-op" : p.states() + (opens ? " + stream" : "");
            }
            case Transition.Refused r -> {
                final DeviceException e = StreamIo.failure(() -> t.setState(to), from + " -> " + to);
                expect(e.errno() == Errno.EINVAL, "refused with " + Errno.name(e.errno()) + ", expected EINVAL");
                expect(t.state() == from, "state moved to " + t.state() + " on a refused request");
                expect(seen.isEmpty(), "arcs performed for a refused request: " + seen);
                return "refused (EINVAL): " + r.reason();
            }
        }
    }
}
