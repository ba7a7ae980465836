/**
 * The device SDK: a device as a VMM sees it in the VFIO uAPI's vocabulary ({@link dev.tern.device.Device}: info,
 * regions, IRQs, reset) and the checked paths by which it reaches the outside world: the PCI configuration space,
 * {@link dev.tern.device.Region}s gated by the command register, {@link dev.tern.device.Irq}s, and the
 * {@link dev.tern.device.DmaSpace} through which it reaches guest memory, gated by Bus Master Enable and by the
 * migration state ({@link dev.tern.device.DeviceGate}) and dirty-logged ({@link dev.tern.device.DirtyLog}, uAPI
 * {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_*}). Refusals are {@link dev.tern.device.DeviceException}s carrying the
 * errno a VFIO driver would return, which transports forward unchanged.
 */
package dev.tern.device;
