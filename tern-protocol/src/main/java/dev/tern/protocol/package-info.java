/**
 * The VFIO v2 migration protocol as an executable specification ({@code include/uapi/linux/vfio.h}): the states,
 * the capability flags, the kernel's next-step table and walker ({@link dev.tern.protocol.MigrationFsm}, as
 * {@code vfio_mig_get_next_state()}), and the single-step arcs drivers implement with their meaning and data-session
 * effect ({@link dev.tern.protocol.Arc}).
 */
package dev.tern.protocol;
