/**
 * The device SDK: PCI config space, regions, IRQs, DMA with dirty logging, the migration engine and streams, and the
 * device catalogue ({@code DeviceFactory} services found by {@code DeviceCatalog}).
 */
module dev.tern.device {
    requires transitive dev.tern.protocol;
    requires transitive dev.tern.sys;

    exports dev.tern.device;
    exports dev.tern.device.migration;

    uses dev.tern.device.DeviceFactory;
}
