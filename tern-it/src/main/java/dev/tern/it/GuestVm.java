package dev.tern.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One guest VM: QEMU (from the guest root, run chrooted in a private mount namespace) booting the root's kernel with
 * a busybox {@link Initramfs} and any number of {@code vfio-user-pci} devices, under TCG.
 *
 * <p>Files of the run (sockets, initrd, QEMU's stderr) live in a run folder under {@code ROOT/tmp/tern-it}, which
 * QEMU sees at the same place inside the chroot; {@link #close()} deletes it. The only mounts (proc, /dev) are made
 * by {@code unshare -m} inside QEMU's own mount namespace, so they vanish with QEMU, even when it is killed, and the
 * cache never holds a bind mount. Every boot has a deadline; at the deadline QEMU is killed.
 *
 * <p>{@code -accel tcg,thread=single}: multi-threaded TCG corrupted JIT-patched guest code (test-vm.md §3).
 */
public final class GuestVm implements AutoCloseable {

    private static final AtomicInteger RUNS = new AtomicInteger();
    /** Mounts proc and /dev for QEMU in its private namespace, then execs it chrooted. */
    private static final String LAUNCH = "root=\"$1\"; shift; mount -t proc proc \"$root/proc\" "
            + "&& mount --rbind /dev \"$root/dev\" && exec chroot \"$root\" \"$@\"";

    private final GuestRoot root;
    private final Path runDir;
    private final List<String> devices = new ArrayList<>();
    private final List<String> extraArgs = new ArrayList<>();
    private int memoryMiB = 256;
    private int cpus = 1;
    private String kernelArgs = "";

    private GuestVm(final GuestRoot root, final Path runDir) {
        this.root = root;
        this.runDir = runDir;
    }

    /** Creates the run folder for one VM. */
    public static GuestVm create(final GuestRoot root) throws IOException {
        final Path dir = root.path().resolve("tmp/tern-it/run-" + ProcessHandle.current().pid() + "-"
                + RUNS.incrementAndGet());
        Files.createDirectories(dir);
        return new GuestVm(root, dir);
    }

    /** @return a host path in the run folder, reachable by QEMU (e.g. for a device socket) */
    public Path file(final String name) {
        return runDir.resolve(name);
    }

    /** Adds a {@code vfio-user-pci} device on the vfio-user socket at {@code socket} (a {@link #file}). */
    public GuestVm vfioUser(final Path socket) {
        devices.add("{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"" + root.guestView(socket)
                + "\",\"type\":\"unix\"}}");
        return this;
    }

    /** Adds QEMU options (another device, a 9p share, {@code -smp}). */
    public GuestVm qemuArgs(final String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    /**
     * Appends kernel command line options, e.g. {@code memmap=2M$200M}: the kernel then leaves that guest RAM alone
     * (reserved), so a guest script can use it as DMA buffers through {@code /dev/mem} (STRICT_DEVMEM refuses System
     * RAM) while QEMU still maps it for the device.
     */
    public GuestVm kernelArgs(final String args) {
        this.kernelArgs = " " + args;
        return this;
    }

    /** Sets the number of vCPUs (default 1; all run on one host thread, {@code thread=single}). */
    public GuestVm cpus(final int n) {
        this.cpus = n;
        return this;
    }

    /** Sets the guest memory (default 256 MiB). */
    public GuestVm memoryMiB(final int mib) {
        this.memoryMiB = mib;
        return this;
    }

    /**
     * Boots the guest with {@code script} as its test and waits until it powers off or {@code deadline} passes.
     *
     * @return the console, exit status, QEMU's stderr and timings
     */
    public GuestRun boot(final String script, final Duration deadline) throws IOException, InterruptedException {
        return boot(new Initramfs(root, script), deadline);
    }

    /** Boots with a prepared initramfs (for guests that need more files). */
    public GuestRun boot(final Initramfs initramfs, final Duration deadline) throws IOException,
            InterruptedException {
        final Path initrd = file("initrd.img");
        Files.write(initrd, initramfs.bytes());
        final Path stderr = file("qemu.stderr");
        final List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                LAUNCH, "sh", root.path().toString()));
        cmd.addAll(qemuCommand(initrd));
        System.err.printf("tern-it: booting a guest with %d vfio-user device(s), deadline %d s%n", devices.size(),
                deadline.toSeconds());
        final long start = System.nanoTime();
        final Process qemu = new ProcessBuilder(cmd).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        final List<String> console = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong scriptAt = new AtomicLong();
        final Thread reader = Thread.ofPlatform().daemon().name("tern-it-console").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(qemu.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    final String clean = clean(l);
                    if (clean.equals(Initramfs.BEGIN)) {
                        scriptAt.set(System.nanoTime());
                    }
                    console.add(clean);
                }
            } catch (final IOException e) {
                // QEMU ended: the console is complete
            }
        });
        final boolean exited = qemu.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            kill(qemu);
        }
        reader.join(10_000);
        final Duration total = Duration.ofNanos(System.nanoTime() - start);
        final Optional<Duration> toScript = scriptAt.get() == 0 ? Optional.empty()
                : Optional.of(Duration.ofNanos(scriptAt.get() - start));
        final List<String> lines = List.copyOf(console);
        final GuestRun run = new GuestRun(lines, exitCode(lines), Files.readString(stderr), exited
                ? qemu.exitValue() : -1, !exited, toScript, total);
        System.err.printf("tern-it: guest %s after %.1f s (script started at %s, exit %s)%n", exited
                ? "powered off" : "KILLED at the deadline", total.toMillis() / 1000.0,
                toScript.map(d -> String.format("%.1f s", d.toMillis() / 1000.0)).orElse("never"),
                run.exitCode().map(String::valueOf).orElse("none"));
        run.output().forEach(l -> System.err.println("tern-it: guest| " + l));
        return run;
    }

    private List<String> qemuCommand(final Path initrd) {
        final List<String> q = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-accel",
                "tcg,thread=single", "-cpu", "max", "-smp", String.valueOf(cpus), "-m", memoryMiB + "M",
                "-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none", "-object",
                "memory-backend-memfd,id=mem,size=" + memoryMiB + "M,share=on", "-machine",
                "q35,memory-backend=mem", "-kernel", "/boot/vmlinuz-" + root.kernelVersion(), "-initrd",
                root.guestView(initrd), "-append", "console=ttyS0 quiet loglevel=1 panic=-1" + kernelArgs));
        for (final String d : devices) {
            q.add("-device");
            q.add(d);
        }
        q.addAll(extraArgs);
        return q;
    }

    private static void kill(final Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("QEMU (pid " + p.pid() + ") did not die after SIGKILL");
        }
    }

    private static Optional<Integer> exitCode(final List<String> lines) {
        return lines.stream().filter(l -> l.startsWith(Initramfs.END + " rc=")).findFirst()
                .map(l -> Integer.parseInt(l.substring(Initramfs.END.length() + 4).trim()));
    }

    /** Console lines carry CR and, from the guest's tty layer, escape sequences. */
    private static String clean(final String line) {
        return line.replaceAll("\u001B\\[[0-9;?]*[A-Za-z]", "").replace("\r", "");
    }

    /** Deletes the run folder (plain files and sockets: no mount is ever made under it). */
    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(runDir)) {
            files.sorted(Collections.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
