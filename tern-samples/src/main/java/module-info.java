/** The sample devices, a 16550 uart and a DMA engine with large state, offered to the device catalogue. */
module dev.tern.samples {
    requires transitive dev.tern.device;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.samples;

    provides dev.tern.device.DeviceFactory with dev.tern.samples.UartFactory, dev.tern.samples.DmaEngineFactory;
}
