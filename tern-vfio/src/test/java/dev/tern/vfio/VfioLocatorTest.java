package dev.tern.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.sys.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Device lookup through a sysfs tree built the way the kernel lays it out (symlinks and attribute files). */
class VfioLocatorTest {

    static final String UUID = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

    @TempDir
    Path sys;

    @BeforeEach
    void tree() throws Exception {
        SysfsTree.mdev(sys, UUID, "mtty-2", 12, "mtty");
        SysfsTree.pci(sys, "0000:03:00.1", "0x15b3", "0x101e", 7, "mlx5_vfio_pci");
        SysfsTree.pci(sys, "0000:00:1f.6", "0x8086", "0x15bc", 9, "e1000e");
        SysfsTree.pci(sys, "0000:04:00.0", "0x1af4", "0x1041", 9, "vfio-pci");
    }

    @Test
    void anMdevUuidResolvesToItsGroupAndType() throws Exception {
        final VfioAddress a = new VfioLocator(sys).locate(UUID.toUpperCase());
        assertThat(a.group()).isEqualTo(12);
        assertThat(a.name()).isEqualTo(UUID);
        assertThat(a.kind()).isEqualTo("mdev:mtty-2");
    }

    @Test
    void aPciAddressBoundToAVfioVariantResolvesWithOrWithoutTheDomain() throws Exception {
        final VfioAddress a = new VfioLocator(sys).locate("03:00.1");
        assertThat(a.name()).isEqualTo("0000:03:00.1");
        assertThat(a.group()).isEqualTo(7);
        assertThat(a.kind()).isEqualTo("pci:15b3:101e");
        assertThat(a.driver()).isEqualTo("mlx5_vfio_pci");
    }

    @Test
    void aDeviceBoundToAnotherDriverIsRefusedNamingTheDriver() {
        assertThatThrownBy(() -> new VfioLocator(sys).locate("0000:00:1f.6"))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY))
                .hasMessageContaining("bound to e1000e, not to vfio-pci");
    }

    @Test
    void anUnboundDeviceIsRefused() throws Exception {
        Files.delete(sys.resolve("bus/pci/devices/0000:03:00.1/driver"));
        assertThatThrownBy(() -> new VfioLocator(sys).locate("0000:03:00.1"))
                .hasMessageContaining("bound to no driver");
    }

    @Test
    void aGroupNumberNamesItsOnlyDeviceAndRefusesAGroupOfSeveral() throws Exception {
        assertThat(new VfioLocator(sys).locate("7").name()).isEqualTo("0000:03:00.1");
        assertThatThrownBy(() -> new VfioLocator(sys).locate("9"))
                .hasMessageContaining("holds 2 devices [0000:00:1f.6, 0000:04:00.0]");
        assertThatThrownBy(() -> new VfioLocator(sys).locate("41"))
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
    }

    @Test
    void missingDevicesCdevPathsAndGarbageGetOneClearMessageEach() {
        final VfioLocator l = new VfioLocator(sys);
        assertThatThrownBy(() -> l.locate("0000:05:00.0")).hasMessageContaining("no PCI device 0000:05:00.0");
        assertThatThrownBy(() -> l.locate("00000000-0000-0000-0000-000000000000")).hasMessageContaining("no mdev");
        assertThatThrownBy(() -> l.locate("/dev/vfio/devices/vfio0"))
                .isInstanceOfSatisfying(DeviceException.class,
                        e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP))
                .hasMessageContaining("iommufd");
        assertThatThrownBy(() -> l.locate("eth0")).hasMessageContaining("is not an mdev UUID, a PCI address");
    }

    @Test
    void aDeviceWithoutAnIommuGroupIsRefused() throws Exception {
        Files.delete(sys.resolve("bus/mdev/devices/" + UUID + "/iommu_group"));
        assertThatThrownBy(() -> new VfioLocator(sys).locate(UUID)).hasMessageContaining("has no IOMMU group");
    }
}
