package dev.tern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.conformance.CheckResult;
import dev.tern.conformance.ConformanceKit;
import dev.tern.device.DeviceException;
import dev.tern.protocol.MigrationState;
import dev.tern.vfiouser.client.ClientOptions;
import dev.tern.vfiouser.client.VfioUserClient;
import dev.tern.vfiouser.client.VfioUserMigrationTarget;
import dev.tern.vfiouser.server.VfioUserServer;
import dev.tern.vfiouser.testing.LibvfioUserRelay;
import dev.tern.vfiouser.testing.LibvfioUserRelay.Behaviour;
import dev.tern.vfiouser.testing.RelayedServers;
import dev.tern.vfiouser.testing.RelayedServers.Relayed;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance kit over vfio-user sockets ({@link SocketSubject}, what {@code tern check --socket} runs): against
 * Tern's servers, plain Tern servers and servers behaving as libvfio-user ({@link LibvfioUserRelay}), over real
 * sockets. Moved from the vfio-user client's tests with the subject, which the client must not depend on.
 */
@Timeout(120)
class SocketSubjectTest {
    private final RelayedServers servers = new RelayedServers();

    @AfterEach
    void closeAll() throws Exception {
        servers.close();
    }

    /** @return a relay in front of its own served dma-engine */
    private Relayed pair(final String name) throws Exception {
        return servers.dmaEngine(name);
    }

    private static VfioUserMigrationTarget target(final Relayed p) throws DeviceException {
        return new VfioUserMigrationTarget(VfioUserClient.connect(p.relay().path(), ClientOptions.defaults()),
                () -> { });
    }

    private List<Path> threeTernServers() throws Exception {
        final List<Path> paths = new ArrayList<>();
        for (final String n : List.of("src.sock", "dst.sock", "spare.sock")) {
            final VfioUserServer s = servers.plainDmaEngine(n);
            paths.add(s.path());
        }
        return paths;
    }

    @Test
    void theConformanceKitCompletesWithSkipsAndLeavesEveryDeviceRunning() throws Exception {
        final List<Relayed> pairs = List.of(pair("k1"), pair("k2"), pair("k3"));
        final List<CheckResult> results = ConformanceKit.run(new SocketSubject(pairs.stream()
                .map(p -> p.relay().path()).toList(), ClientOptions.defaults()));
        assertThat(results.stream().filter(Predicate.not(CheckResult::passed)).map(CheckResult::toString))
                .isEmpty();
        assertThat(results).anyMatch(r -> r.skipped() && r.name().startsWith("failing arcs"))
                .anyMatch(r -> r.skipped() && r.name().startsWith("PRECOPY_INFO"))
                .anyMatch(r -> !r.skipped() && r.name().equals("round trip via PRE_COPY"))
                .hasSizeGreaterThan(40);
        for (final Relayed p : pairs) {
            assertThat(p.server().served().engine().state()).isEqualTo(MigrationState.RUNNING);
        }
        assertThat(pairs.getFirst().relay().seen().get(Behaviour.RESET_REFUSED)).isPositive();
    }


    @Test
    void oneSocketSkipsTheRoundTripsInsteadOfFailing() throws Exception {
        final Relayed p = pair("one");
        final List<CheckResult> results = ConformanceKit.run(new SocketSubject(List.of(p.relay().path()),
                ClientOptions.defaults()));
        assertThat(results.stream().filter(Predicate.not(CheckResult::passed)).map(CheckResult::toString))
                .isEmpty();
        assertThat(results).anyMatch(r -> r.skipped() && r.name().startsWith("round trip"));
        assertThat(p.server().served().engine().state()).isEqualTo(MigrationState.RUNNING);
        try (VfioUserMigrationTarget t = target(p)) {
            assertThat(t.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    /** Tern's own server, plain: the client proposes no {@code tern} object. */
    @Test
    void aPlainTernServerPassesTheKitWithTheRightSkips() throws Exception {
        final List<VfioUserServer> plain = new ArrayList<>();
        for (final String n : List.of("p1.sock", "p2.sock", "p3.sock")) {
            plain.add(servers.plainDmaEngine(n));
        }
        final List<CheckResult> results = ConformanceKit.run(new SocketSubject(plain.stream()
                .map(VfioUserServer::path).toList(), ClientOptions.plain()));
        assertThat(results.stream().filter(Predicate.not(CheckResult::passed)).map(CheckResult::toString))
                .isEmpty();
        assertThat(results.stream().filter(CheckResult::skipped).map(CheckResult::name).toList())
                .contains("failing arcs -> ERROR -> reset", "PRECOPY_INFO outside pre-copy is EINVAL");
        assertThat(results).anyMatch(r -> r.name().equals("round trip via STOP_COPY")
                && r.detail().contains("re-saved streams equal"));
        for (final VfioUserServer s : plain) {
            assertThat(s.served().engine().state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    /**
     * The kit's pre-copy round trips keep a probe target open while they open a source and a destination, so over
     * vfio-user (one client per socket) it needs three servers.
     */
    @Test
    void conformanceKitPassesOverTheSocket() throws Exception {
        final SocketSubject subject = new SocketSubject(threeTernServers(),
                ClientOptions.defaults());
        final List<CheckResult> results = ConformanceKit.run(subject);
        assertThat(results.stream().filter(r -> !r.passed()).map(CheckResult::toString).toList()).isEmpty();
        assertThat(results).anyMatch(r -> r.name().startsWith("failing arc"));
        assertThat(results).hasSizeGreaterThan(60);
    }
}
