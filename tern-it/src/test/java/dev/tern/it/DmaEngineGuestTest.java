package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A guest-side driver (busybox {@code devmem}, {@code dd} on {@code /dev/mem} and sysfs config writes) programs the
 * served dma-engine: a copy between guest buffers works; with Bus Master Enable cleared no byte moves, the descriptor
 * is counted in ERRORS and config space shows Received Master Abort; re-enabled it works again; every BAR access
 * width is answered; a PCI PM reset from the guest returns the registers to power-on values.
 */
class DmaEngineGuestTest {

    private static final String SCRIPT = Guests.LIB + Guests.DMA_LIB + """
            echo "width8=$(devmem $bar 8) width16=$(devmem $((bar + 2)) 16) width32=$(devmem $bar 32)"
            zero 0
            cfg_write $d 4 2 0x0006
            echo "command=$(cfg_read $d 4 2)"
            fill 0x1000; zero 0x2000
            echo "buffers src=$(page 0x1000) dst=$(page 0x2000)"
            setreg 0x10 $S; setreg 0x18 16; setreg 0x08 1
            desc 0 0x1000 0x2000; setreg 0x28 1
            await 0x30 1
            echo "copy completed=$(( $(reg 0x30) )) status=$(u32 4) same=$(same 0x1000 0x2000)"
            cfg_write $d 4 2 0x0002
            fill 0x3000; zero 0x4000
            desc 1 0x3000 0x4000; setreg 0x28 2
            await 0x38 1
            echo "nobme errors=$(( $(reg 0x38) )) completed=$(( $(reg 0x30) )) status=$(u32 36)" \
                "dst_zero=$(zeroed 0x4000)"
            echo "pci_status=$(( $(cfg_read $d 6 2) & 0x2000 ))"
            cfg_write $d 6 2 0x2000
            echo "pci_status_cleared=$(( $(cfg_read $d 6 2) & 0x2000 ))"
            cfg_write $d 4 2 0x0006
            desc 2 0x3000 0x4000; setreg 0x28 3
            await 0x30 2
            echo "rebme completed=$(( $(reg 0x30) )) same=$(same 0x3000 0x4000)"
            echo "caps=$(cfg_read $d 0x34 1) $(cfg_read $d 0x40 1) $(cfg_read $d 0x41 1) $(cfg_read $d 0x48 1)"
            echo "reset_method=$(cat $d/reset_method)"
            echo 1 > $d/reset || echo "reset failed"
            echo "after_reset ring_base=$(( $(reg 0x10) )) completed=$(( $(reg 0x30) )) errors=$(( $(reg 0x38) ))" \
                "id=$(reg 0)"
            """;

    @Test
    void guestDriverCopiesBusMasterEnableGatesDmaAndPmResetRestoresPowerOnState() throws Exception {
        final GuestRoot root = Guests.root();
        try (GuestVm vm = GuestVm.create(root);
                TernServe dma = TernServe.start(vm.file("dma.sock"), "--device", "dma-engine", "--memory", "1MiB")) {
            vm.vfioUser(vm.file("dma.sock")).kernelArgs(Guests.DMA_MEMMAP);
            final GuestRun run = vm.boot(SCRIPT, Guests.BOOT_DEADLINE);

            assertThat(run.exitCode()).as(run.describe()).contains(0);
            assertThat(run.value("width8")).as(run.describe()).contains("0x02 width16=0x7E27 width32=0x7E270002");
            assertThat(run.value("command")).as(run.describe()).contains("0x6");
            final String zeros = "620f0b67a91f7f74151bc5be745b7110";
            assertThat(run.value("buffers src")).as("buffers readable and distinct; " + run.describe())
                    .hasValueSatisfying(v -> assertThat(v).doesNotContain("unreadable").endsWith("dst=" + zeros)
                            .doesNotStartWith(zeros));
            assertThat(run.value("copy completed")).as(run.describe()).contains("1 status=1 same=yes");
            assertThat(run.value("nobme errors")).as("BME off: no DMA, descriptor failed; " + run.describe())
                    .contains("1 completed=1 status=0 dst_zero=yes");
            assertThat(run.value("pci_status")).as("Received Master Abort").contains(String.valueOf(0x2000));
            assertThat(run.value("pci_status_cleared")).as("write 1 to clear").contains("0");
            assertThat(run.value("rebme completed")).as(run.describe()).contains("2 same=yes");
            assertThat(run.value("caps")).as("PM at 0x40, then MSI at 0x48").contains("0x40 0x1 0x48 0x5");
            assertThat(run.value("reset_method")).as(run.describe()).contains("pm");
            assertThat(run.value("after_reset ring_base")).as(run.describe())
                    .contains("0 completed=0 errors=0 id=0x7E270002");
            assertThat(run.qemuStderr()).as("QEMU stderr").isBlank();
            dma.close();
            assertThat(dma.log()).as("one line per failed DMA, at INFO by default")
                    .filteredOn(l -> l.contains("DMA failed")).hasSize(1).allMatch(l -> l.contains("ENODEV"));
            assertThat(dma.log()).as("no error reply").noneMatch(l -> l.contains("error reply"));
        }
    }
}
