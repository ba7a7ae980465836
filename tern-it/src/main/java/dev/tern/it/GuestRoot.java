package dev.tern.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The guest root: a Debian trixie tree with QEMU from trixie-backports, the kernel and busybox, prepared from Debian
 * packages by {@code vm/prepare-root.sh} into a cache outside the repository and reused (see that script and
 * {@code test-vm.md} §1). QEMU runs inside it (chroot) so that its libraries match; the guest kernel and busybox come
 * from it too.
 *
 * @param path the root directory
 * @param kernel the guest kernel, inside the root
 */
public record GuestRoot(Path path, Path kernel) {

    /** Generous: debootstrap and two apt installs over a slow mirror on a loaded machine. */
    private static final Duration PREPARE_DEADLINE = Duration.ofMinutes(30);

    /**
     * Prepares the root (minutes the first time, instant when cached), printing progress on stderr.
     *
     * @throws IllegalStateException with the script's last word (e.g. "the Debian mirror … is unreachable")
     */
    public static GuestRoot prepare() throws IOException, InterruptedException {
        return prepare(List.of(), Map.of());
    }

    /**
     * Runs {@code prepare-root.sh ARGS} with {@code env} added to the environment (a cache folder, another sources
     * file).
     */
    static GuestRoot prepare(final List<String> args, final Map<String, String> env) throws IOException,
            InterruptedException {
        return prepare("prepare-root.sh", args, env);
    }

    /**
     * Prepares the root of the kernel VFIO tests ({@code vm/prepare-mtty-root.sh}): this root plus the kernel's mtty
     * sample built as a module and {@code jdk} copied to {@code /opt/jdk}, for a guest booted with the root over 9p
     * (test-vm.md §3). Minutes the first time, instant when cached.
     */
    public static GuestRoot prepareMtty(final Path jdk) throws IOException, InterruptedException {
        return prepare("prepare-mtty-root.sh", List.of(jdk.toString()), Map.of());
    }

    private static GuestRoot prepare(final String script, final List<String> args, final Map<String, String> env)
            throws IOException, InterruptedException {
        final List<String> cmd = new java.util.ArrayList<>(List.of(scripts().resolve(script).toString()));
        cmd.addAll(args);
        final Path out = Files.createTempFile("tern-it-root", ".out");
        try {
            final ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(env);
            final Process p = pb.start();
            final AtomicReference<String> reason = new AtomicReference<>("see the output above");
            final Thread progress = Thread.ofPlatform().daemon().name("tern-it-prepare").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        System.err.println(l);
                        if (l.startsWith("tern-it: ")) {
                            reason.set(l.substring("tern-it: ".length()));
                        }
                    }
                } catch (final IOException e) {
                    // the script ended
                }
            });
            if (!p.waitFor(PREPARE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("preparing the guest root took longer than " + PREPARE_DEADLINE);
            }
            progress.join(5_000);
            final List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || lines.isEmpty()) {
                throw new IllegalStateException("preparing the guest root failed (exit " + p.exitValue() + "): "
                        + reason.get());
            }
            return of(Path.of(lines.getLast()));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** @return the prepared root at {@code path} */
    public static GuestRoot of(final Path path) throws IOException {
        try (Stream<Path> boot = Files.list(path.resolve("boot"))) {
            final List<Path> kernels = boot.filter(f -> f.getFileName().toString().startsWith("vmlinuz-")).sorted()
                    .toList();
            if (kernels.isEmpty()) {
                throw new IllegalStateException("no kernel in " + path.resolve("boot"));
            }
            return new GuestRoot(path, kernels.getLast());
        }
    }

    /** @return the folder of the harness scripts ({@code tern-it/vm}), from {@code -Dtern.it.vm} or the cwd */
    public static Path scripts() {
        final String configured = System.getProperty("tern.it.vm");
        return configured != null ? Path.of(configured) : Path.of("vm").toAbsolutePath();
    }

    /** @return {@code hostPath} as a path inside the root (for QEMU, which runs chrooted) */
    public String guestView(final Path hostPath) {
        final Path rel = path.relativize(hostPath.toAbsolutePath());
        if (rel.startsWith("..")) {
            throw new IllegalArgumentException(hostPath + " is outside the guest root " + path);
        }
        return "/" + rel;
    }

    /** @return the kernel's file name suffix, e.g. {@code 6.12.117+deb13-amd64} */
    public String kernelVersion() {
        return kernel.getFileName().toString().substring("vmlinuz-".length());
    }
}
