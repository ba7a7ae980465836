/**
 * The VMM-side library: a guest's RAM as a memfd ({@code GuestMemory}) and a side's devices (vfio-user sockets or
 * kernel VFIO devices) with that memory DMA-mapped into them ({@code DeviceSide}).
 */
module dev.tern.vmm {
    requires transitive dev.tern.device;
    requires transitive dev.tern.vfio;
    requires transitive dev.tern.vfiouser;
    requires dev.tern.protocol;
    requires dev.tern.sys;

    exports dev.tern.vmm;
}
