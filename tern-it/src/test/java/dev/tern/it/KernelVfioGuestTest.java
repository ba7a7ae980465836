package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tern's kernel VFIO backend against a real migration driver: the kernel's {@code mtty} sample (built out of tree,
 * test-vm.md §3) in a QEMU guest whose root is the mtty guest root over 9p, with Tern's jar run by the JDK 25 copied
 * into it. Three mtty-2 mdevs and one mtty-1: {@code tern info}, {@code tern check} (the conformance kit),
 * {@code tern save}/{@code restore} A→B and into a device of another kind, {@code tern migrate} A →
 * {@code tern receive} B over loopback TCP in the guest, and a migration whose destination is killed mid-stream.
 *
 * <p>Device state is compared through the devices' own stop-copy streams (mtty has no checksum): a snapshot's last 96
 * bytes are the mtty-2 stream (24-byte header, 36 bytes per port), printed as hex. The register writes during
 * pre-copy come from the kit's busy-save workload (UART scratch register, in the process that holds the device: a
 * VFIO group has one user at a time, so no second guest process can reach A while Tern migrates it).
 */
class KernelVfioGuestTest {

    /** JVM runs cost 10-35 s each under TCG; the kit about 20 s; the whole script about 6 minutes. */
    private static final Duration DEADLINE = Duration.ofMinutes(20);

    private static final String OUTER = """
            for m in netfs 9pnet 9pnet_virtio 9p; do insmod /mods/$m.ko || { echo "insmod $m failed"; exit 1; }; done
            mkdir -p /newroot
            mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro,cache=loose r /newroot || exit 1
            mount -t proc proc /newroot/proc && mount -t sysfs sys /newroot/sys && mount -t devtmpfs dev /newroot/dev
            mkdir -p /newroot/dev/pts && mount -t devpts pts /newroot/dev/pts
            for d in tmp run root; do mount -t tmpfs $d /newroot/$d; done
            mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 w /newroot/mnt || exit 1
            ip link set lo up
            chroot /newroot /bin/sh /mnt/guest.sh
            """;

    private static final String GUEST = """
            export PATH=/opt/jdk/bin:/usr/sbin:/usr/bin:/sbin:/bin
            modprobe vfio_iommu_type1 && modprobe mtty || { echo "modprobe failed"; exit 1; }
            A=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001; B=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
            C=83b8f4f2-509f-382f-3c1e-e6bfe0fa1003; D=83b8f4f2-509f-382f-3c1e-e6bfe0fa1004
            T=/sys/class/mdev_bus/mtty/mdev_supported_types
            for u in $A $B $C; do echo $u > $T/mtty-2/create; done
            echo $D > $T/mtty-1/create
            J="java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar /mnt/tern.jar"
            tern() { s=$(date +%s%N); echo "\\$ tern $*"; $J "$@"; rc=$?
                echo "rc=$rc ms=$(( ($(date +%s%N) - s) / 1000000 ))"; }
            payload() { tail -c 96 "$1" | od -An -tx1 | tr -d ' \\n'; echo; }
            tern info --vfio $A
            tern check --vfio $A $B $C
            tern save --vfio $A --to /tmp/a0.tsnap
            tern restore --vfio $B --from /tmp/a0.tsnap
            tern save --vfio $B --to /tmp/b0.tsnap
            echo "restored_equal=$([ "$(payload /tmp/a0.tsnap)" = "$(payload /tmp/b0.tsnap)" ] && echo yes || echo no)"
            tern restore --vfio $D --from /tmp/a0.tsnap
            $J receive --listen 127.0.0.1:7000 --vfio $C --guest-memory 4M > /tmp/recv.out 2>&1 &
            R=$!
            sleep 2
            tern migrate --to 127.0.0.1:7000 --vfio $A --guest-memory 4M
            wait $R; echo "receive_rc=$?"; cat /tmp/recv.out
            echo "a_after=$($J info --vfio $A | sed -n 's/^migration .*state //p')"
            echo "c_after=$($J info --vfio $C | sed -n 's/^migration .*state //p')"
            tern save --vfio $C --to /tmp/c1.tsnap
            echo "migrated_equal=$([ "$(payload /tmp/a0.tsnap)" = "$(payload /tmp/c1.tsnap)" ] && echo yes || echo no)"
            echo "--- the destination killed mid-stream"
            tern restore --vfio $A --from /tmp/a0.tsnap
            $J receive --listen 127.0.0.1:7001 --vfio $B --guest-memory 64M > /tmp/recv2.out 2>&1 &
            R=$!
            sleep 2
            $J migrate --to 127.0.0.1:7001 --vfio $A --guest-memory 64M --downtime-limit 0 > /tmp/mig2.out 2>&1 &
            M=$!
            i=0; while ! grep -q "phase PRE_COPY" /tmp/recv2.out && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
            kill -9 $R
            wait $M; echo "killed_migrate_rc=$?"; cat /tmp/mig2.out
            echo "a_after_kill=$($J info --vfio $A | sed -n 's/^migration .*state //p')"
            tern save --vfio $A --to /tmp/a2.tsnap
            echo "kept_equal=$([ "$(payload /tmp/a0.tsnap)" = "$(payload /tmp/a2.tsnap)" ] && echo yes || echo no)"
            """;

    @Test
    void ternChecksSavesRestoresAndMigratesMttyDevicesThroughDevVfio() throws Exception {
        final GuestRoot root = GuestRoot.prepareMtty(Path.of(System.getProperty("java.home")));
        try (GuestVm vm = GuestVm.create(root)) {
            final Path share = Files.createDirectories(vm.file("share"));
            Files.copy(ternJar(), share.resolve("tern.jar"));
            Files.writeString(share.resolve("guest.sh"), GUEST);
            final Initramfs init = new Initramfs(root, OUTER).directory("/mods");
            for (final String m : List.of("netfs", "9pnet", "9pnet_virtio", "9p")) {
                init.file("/mods/" + m + ".ko", 0644, Files.readAllBytes(root.path().resolve("opt/tern-it/9p/" + m
                        + ".ko")));
            }
            // thread=single (GuestVm): the JVM crashed under multi-threaded TCG (test-vm.md §3)
            final GuestRun run = vm.cpus(2).memoryMiB(2048).qemuArgs(
                    "-fsdev", "local,id=r,path=/,security_model=none,readonly=on,multidevs=remap",
                    "-device", "virtio-9p-pci,fsdev=r,mount_tag=r",
                    "-fsdev", "local,id=w,path=" + root.guestView(share) + ",security_model=none,multidevs=remap",
                    "-device", "virtio-9p-pci,fsdev=w,mount_tag=w").boot(init, DEADLINE);
            final List<String> out = run.output();
            assertThat(run.exitCode()).as(run.describe()).contains(0);
            assertThat(out).as(run.describe())
                    .contains("migration  flags stop-copy,p2p,pre-copy; state RUNNING")
                    .anyMatch(l -> l.startsWith("optional   MIG_DATA_SIZE 96 bytes; PRECOPY_INFO yes;")
                            && l.contains("DMA logging unavailable: REPORT fails with ENOTSUP"));
            checkRun(out, run);
            assertThat(run.value("restored_equal")).as(run.describe()).contains("yes");
            assertThat(out).as(run.describe()).anyMatch(l -> l.startsWith("tern: restore failed: ")
                    && l.contains("was made by a device of kind kernel-vfio/mdev:mtty-2")
                    && l.contains("is kernel-vfio/mdev:mtty-1"));
            assertThat(run.value("receive_rc")).as(run.describe()).contains("0");
            assertThat(run.value("a_after")).as("the source is stopped").contains("STOP");
            assertThat(run.value("c_after")).as("the destination runs").contains("RUNNING");
            assertThat(run.value("migrated_equal")).as(run.describe()).contains("yes");
            assertThat(run.value("killed_migrate_rc")).as(run.describe()).contains("1");
            assertThat(out).as(run.describe()).anyMatch(l -> l.contains("[source devices running: yes]"));
            assertThat(run.value("a_after_kill")).as(run.describe()).contains("RUNNING");
            assertThat(run.value("kept_equal")).as(run.describe()).contains("yes");
        }
    }

    /**
     * Every check passes or is skipped (no fault injection, no DMA logging on this kernel), except mtty's known
     * deviation: a load whose header fails validation has its write refused (EFAULT) but the refused bytes still
     * count, so RESUMING -> STOP then succeeds (mtty.c {@code mtty_resume_write} adds {@code len} to
     * {@code filled_size} after a failed validation).
     */
    private static void checkRun(final List<String> out, final GuestRun run) {
        assertThat(out).as(run.describe()).filteredOn(l -> l.startsWith("FAIL "))
                .allMatch(l -> l.startsWith("FAIL load of corrupt stream (bad magic) fails, nothing applied"));
        assertThat(out).as(run.describe()).anyMatch(l -> l.matches("[0-9]+ passed, [01] failed, 2 skipped"))
                .anyMatch(l -> l.startsWith("PASS repeated migration A->B->A->B"))
                .anyMatch(l -> l.startsWith("PASS save with the device busy") && l.contains("workload: the subject's"))
                .anyMatch(l -> l.startsWith("PASS round trip via PRE_COPY_P2P"));
    }

    private static Path ternJar() {
        final Path jar = Path.of(System.getProperty("tern.it.vm")).resolveSibling("../tern-cli/target/tern.jar")
                .normalize();
        assertThat(jar).as("the shaded CLI jar (tern-cli is packaged before tern-it)").exists();
        return jar;
    }
}
