package dev.tern.it;

import java.io.IOException;
import java.time.Duration;

/** The guest root shared by the VM tests of one JVM (prepared once), and the shell helpers guest scripts use. */
final class Guests {

    /**
     * Per boot. A TCG boot to the script takes 4-25 s on a loaded 2-core machine (test-vm.md §2) and the scripts
     * add their own work; a hung guest is killed here.
     */
    static final Duration BOOT_DEADLINE = Duration.ofMinutes(5);

    /**
     * Shell functions for guest scripts: {@code tern_dev DEVICE_ID} prints the sysfs folder of the Tern device with
     * that id; {@code tty_of DEV} the serial port the 8250 driver made of it; {@code bar_size DEV N} and
     * {@code bar_addr DEV N} the size and address of BAR N; {@code cfg_read DEV OFF WIDTH} / {@code cfg_write DEV OFF
     * WIDTH VALUE} access config space through sysfs (little-endian, as PCI).
     */
    static final String LIB = """
            tern_dev() { for d in /sys/bus/pci/devices/*; do
                [ "$(cat $d/vendor)" = 0x7e27 ] && [ "$(cat $d/device)" = "$1" ] && echo $d && return 0; done
                return 1; }
            tty_of() { p=$(readlink -f $1); for t in /sys/class/tty/ttyS*; do
                case "$(readlink -f $t/device)" in "$p"/*) echo /dev/${t##*/}; return 0;; esac; done
                return 1; }
            bar_size() { set -- $(sed -n "$(($2 + 1))p" $1/resource)
                [ $(($2)) = 0 ] && echo 0 || echo $(( $2 - $1 + 1 )); }
            bar_addr() { set -- $(sed -n "$(($2 + 1))p" $1/resource); printf '0x%x\\n' $(( $1 )); }
            cfg_read() { v=0; i=$(($3 - 1)); while [ $i -ge 0 ]; do
                b=$(dd if=$1/config bs=1 skip=$(($2 + i)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
                v=$(( (v << 8) | b )); i=$((i - 1)); done; printf '0x%x\\n' $v; }
            cfg_write() { i=0; v=$(($4)); while [ $i -lt $3 ]; do
                printf "\\\\$(printf %o $(( (v >> (8 * i)) & 255 )))" | dd of=$1/config bs=1 seek=$(($2 + i)) \\
                    count=1 conv=notrunc 2>/dev/null; i=$((i + 1)); done; }
            """;

    /**
     * Guest RAM at 200 MiB, reserved with this kernel option: not System RAM to the guest kernel, so STRICT_DEVMEM
     * lets {@code /dev/mem} read and write it, and QEMU maps it for the device like all guest RAM.
     */
    static final String DMA_MEMMAP = "memmap=2M$200M";

    /**
     * A dma-engine driver in shell (registers in {@link dev.tern.samples.DmaEngineRegisters}, descriptors in
     * {@link dev.tern.samples.DmaEngineWorkload}): finds the device, enables it, and offers {@code reg OFF},
     * {@code setreg OFF VALUE}, {@code desc SLOT SRC DST} (a 4 KiB copy, offsets from the buffer base {@code S}),
     * {@code page OFF} (md5 of a 4 KiB buffer), {@code fill OFF}, {@code zero OFF}, {@code same OFF OFF},
     * {@code zeroed OFF} (yes/no; 620f… is the md5 of 4 KiB of zeros), {@code u32 OFF} (a word of the buffers) and
     * {@code await OFF N} (until a register reaches N, at most 10 s).
     */
    static final String DMA_LIB = """
            S=0x0C800000
            d=$(tern_dev 0x0002) || exit 1
            echo 1 > $d/enable
            bar=$(bar_addr $d 0)
            reg() { devmem $((bar + $1)) 32; }
            setreg() { devmem $((bar + $1)) 32 $2; devmem $((bar + $1 + 4)) 32 0; }
            page() { dd if=/dev/mem bs=4096 skip=$(( ($S + $1) / 4096 )) count=1 2>/dev/null > /tmp/page
                [ $(wc -c < /tmp/page) = 4096 ] && md5sum < /tmp/page | cut -c1-32 || echo "unreadable"; }
            fill() { dd if=/dev/urandom of=/tmp/p bs=4096 count=1 2>/dev/null
                dd if=/tmp/p of=/dev/mem bs=4096 seek=$(( ($S + $1) / 4096 )) count=1 conv=notrunc 2>/dev/null; }
            zero() { dd if=/dev/zero of=/dev/mem bs=4096 seek=$(( ($S + $1) / 4096 )) count=1 conv=notrunc \
                2>/dev/null; }
            same() { [ "$(page $1)" = "$(page $2)" ] && echo yes || echo no; }
            zeroed() { [ "$(page $1)" = 620f0b67a91f7f74151bc5be745b7110 ] && echo yes || echo no; }
            u32() { echo $(( $(devmem $(($S + $1)) 32) )); }
            desc() { a=$(($S + 32 * $1)); devmem $a 32 1; devmem $((a + 4)) 32 0
                devmem $((a + 8)) 32 $(($S + $2)); devmem $((a + 12)) 32 0
                devmem $((a + 16)) 32 $(($S + $3)); devmem $((a + 20)) 32 0
                devmem $((a + 24)) 32 4096; devmem $((a + 28)) 32 0; }
            await() { i=0; while [ $(( $(reg $1) )) -lt $2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; }
            """;

    private static GuestRoot root;

    private Guests() {
    }

    /** @return the prepared guest root (prepared on first use; fails if the Debian mirror is unreachable) */
    static synchronized GuestRoot root() throws IOException, InterruptedException {
        if (root == null) {
            root = GuestRoot.prepare();
        }
        return root;
    }
}
