/**
 * The VMM-side library: a guest's RAM as a memfd with a dirty log ({@link dev.tern.vmm.GuestMemory}), and one
 * side's devices, vfio-user sockets or kernel VFIO devices, opened with that memory DMA-mapped at IOVA 0
 * ({@link dev.tern.vmm.DeviceSide}, each a {@link dev.tern.vmm.VmmDevice}): what a migration needs from the process
 * that plays the VMM.
 */
package dev.tern.vmm;
