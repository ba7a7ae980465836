package dev.tern.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The newc layout byte for byte: what the kernel's initramfs unpacker parses. */
class NewcArchiveTest {

    @Test
    void entriesHaveTheNewcHeaderPaddedNamesAndDataAndATrailer() {
        final byte[] a = new NewcArchive().directory("/bin").file("/init", 0755, "#!/bin/sh\n".getBytes(
                StandardCharsets.US_ASCII)).charDevice("/dev/console", 0600, 5, 1).finish();
        final String s = new String(a, StandardCharsets.ISO_8859_1);
        assertThat(a.length % 4).isZero();
        // first entry: magic, ino 1, mode 040755, uid, gid, nlink 2, mtime, size 0, dev 0:0, rdev 0:0, namesize 4
        assertThat(s).startsWith("070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002"
                + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000"
                + "bin\0");
        final int init = s.indexOf("070701", 6);
        assertThat(init % 4).isZero();
        assertThat(s.substring(init + 6 + 8, init + 6 + 16)).as("mode 0100755").isEqualTo("000081ed");
        assertThat(s.substring(init + 6 + 48, init + 6 + 56)).as("file size").isEqualTo("0000000a");
        assertThat(s).contains("init\0\0#!/bin/sh\n\0\0");
        final int dev = s.indexOf("070701", init + 6);
        assertThat(s.substring(dev + 6 + 8, dev + 6 + 16)).as("mode 020600").isEqualTo("00002180");
        assertThat(s.substring(dev + 6 + 72, dev + 6 + 88)).as("rdev 5:1").isEqualTo("0000000500000001");
        assertThat(s).contains("TRAILER!!!\0");
    }
}
